import type SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The NOTIFY channel of the triggers of migration 2026-12-10-auth-changes: an account id, at commit. */
const CHANNEL = 'lanyard_auth_changes';
/** How long the PostgreSQL listener waits before connecting again after it lost the database. */
const RECONNECT_MS = 1000;
/** How often a PostgreSQL listener sends itself a notification, to know that it still hears them. */
const HEARTBEAT_MS = 1000;
/** Past this without hearing its own heartbeat, a process trusts nothing it keeps. */
const DEAF_AFTER_MS = 3000;
/** Heartbeats start with this, which no account id does; each process counts its own only. */
const HEARTBEAT_PREFIX = '~';

/**
 * Told that an account's sessions or account row changed in a way a session check reads (`accountId`), or
 * that anything may have (`undefined`: changes were missed). `local`: this process is writing the change
 * now, and its transaction has not committed yet.
 */
export type AuthChangeListener = (accountId: string | undefined, local: boolean) => void;

/** What a process may report: a warning (a lost listener). */
interface Log {
  warn(object: object, message: string): void;
}

/**
 * The changes to the rows a session check reads (an account's sessions and its account row), as the
 * triggers of migration 2026-12-10-auth-changes record them in the transaction of the change, whoever
 * made it: this process, another server, `lanyard worker`, a command. A cache of session checks
 * (src/sessions/session-cache.ts) listens, and trusts what it holds only while `catchUp()` says it has
 * heard every change committed until now.
 */
export abstract class AuthChanges {
  private readonly listeners: AuthChangeListener[] = [];

  onChange(listener: AuthChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Called by a repository as it writes an account's session or account row, before its transaction
   * commits: this process's cache stops trusting the account at once, without waiting for the commit to
   * come back through the feed.
   */
  writing(accountId: string): void {
    this.emit(accountId, true);
  }

  /**
   * Whether every change committed so far has been told to the listeners, so that a cached session check
   * may be used or stored; on SQLite it reads the changes committed since the last call first.
   */
  abstract catchUp(): boolean;

  abstract close(): Promise<void>;

  protected emit(accountId: string | undefined, local = false): void {
    for (const listener of this.listeners) listener(accountId, local);
  }
}

/**
 * SQLite: the triggers append to `auth_changes`. Each call reads, on the read connection, the highest
 * seq handed out and the rows after the last one seen, in one synchronous step before the cached check
 * it guards, so that a change committed by any connection of any process is seen by the very next
 * check. About two microseconds when nothing changed.
 */
export class SqliteAuthChanges extends AuthChanges {
  private readonly highest: SqliteDatabase.Statement<[], number | undefined>;
  private readonly since: SqliteDatabase.Statement<[number, number], [number, string]>;
  private seen: number;

  /** `reader`: the connection session checks read through; `writer`: the one changes are written on. */
  constructor(
    private readonly reader: SqliteDatabase.Database,
    private readonly writer: SqliteDatabase.Database,
  ) {
    super();
    this.highest = reader
      .prepare<[], number | undefined>("SELECT seq FROM sqlite_sequence WHERE name = 'auth_changes'")
      .pluck();
    this.since = reader
      .prepare<[number, number], [number, string]>(
        'SELECT seq, account_id FROM auth_changes WHERE seq > ? AND seq <= ? ORDER BY seq',
      )
      .raw();
    this.seen = this.highest.get() ?? 0;
  }

  catchUp(): boolean {
    // A database in memory has one connection: inside a transaction it reads changes that may yet roll back.
    if (this.reader === this.writer && this.writer.inTransaction) return false;
    const highest = this.highest.get() ?? 0;
    if (highest === this.seen) return true;
    const rows = highest > this.seen ? this.since.all(this.seen, highest) : [];
    // Rows pruned, or erased with their account, before this process read them (or the file was replaced).
    if (highest < this.seen || rows.length !== highest - this.seen) this.emit(undefined);
    else for (const [, accountId] of rows) this.emit(accountId);
    this.seen = highest;
    return true;
  }

  async close(): Promise<void> {}
}

/**
 * PostgreSQL: the triggers NOTIFY the account id, delivered when the transaction commits to every process
 * that LISTENs, on a connection of its own. Notifications sent while a process does not hear them are lost,
 * so it trusts nothing it keeps unless it heard, within the last DEAF_AFTER_MS, the heartbeat it sends
 * itself every HEARTBEAT_MS on that connection (PostgreSQL delivers notifications in commit order, so
 * hearing it means every change committed before it was heard). A connection that ends is noticed at
 * once; one that dies silently (a half-open TCP connection, an idle timeout in the network, a pooler in
 * transaction mode that hands LISTEN to another client) within DEAF_AFTER_MS. Each time trust is lost or
 * regained, the listeners are told that anything may have changed.
 */
export class PostgresAuthChanges extends AuthChanges {
  private listener: pg.Client | undefined;
  private listening = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly heartbeat = `${HEARTBEAT_PREFIX}${process.pid}.${randomBytes(6).toString('hex')}`;
  /** When this process last heard its own heartbeat (performance.now()). */
  private heardAt = Number.NEGATIVE_INFINITY;
  private trusted = false;
  private closed = false;

  private constructor(
    private readonly url: string,
    private readonly log: Log | undefined,
  ) {
    super();
    this.heartbeatTimer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
  }

  /** Starts listening; a failure to connect is retried in the background (caching waits for it). */
  static async open(url: string, log?: Log): Promise<PostgresAuthChanges> {
    const changes = new PostgresAuthChanges(url, log);
    await changes.listen().catch(() => {});
    return changes;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      this.heardAt = Number.NEGATIVE_INFINITY;
      this.emit(undefined);
      if (this.closed) return;
      this.log?.warn(
        { err: error },
        'lost the notifications of session changes; reconnecting (sessions are read meanwhile)',
      );
      client.end().catch(() => {});
      this.reconnectTimer = setTimeout(() => void this.listen().catch(() => {}), RECONNECT_MS);
      this.reconnectTimer.unref();
    };
    this.listener = client;
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      const payload = message.payload;
      if (message.channel !== CHANNEL || !payload) return;
      if (!payload.startsWith(HEARTBEAT_PREFIX)) this.emit(payload);
      else if (payload === this.heartbeat && this.listener === client) this.heardAt = performance.now();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      throw error;
    }
    if (this.listener !== client) return;
    this.listening = true;
    this.beat();
  }

  /** Sends the heartbeat on the listening connection itself, so that its echo crosses what changes cross. */
  private beat(): void {
    if (this.listening) this.listener?.query('SELECT pg_notify($1, $2)', [CHANNEL, this.heartbeat]).catch(() => {});
  }

  catchUp(): boolean {
    const heard = this.listening && performance.now() - this.heardAt < DEAF_AFTER_MS;
    if (heard !== this.trusted) {
      this.trusted = heard;
      // Either way, changes may have gone unheard since the last heartbeat: nothing kept is trusted again.
      this.emit(undefined);
      if (!heard && this.listening)
        this.log?.warn({}, 'no longer hears its own notifications; sessions are read until it does again');
    }
    return heard;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => {});
  }
}
