import type SqliteDatabase from 'better-sqlite3';
import { sql, type CompiledQuery } from 'kysely';
import type { Db, Executor, SessionRow, StoredAccountRow } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';
import type { AuthChanges } from '../db/auth-changes.js';
import type { AuthAccount } from '../http/auth.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const SESSION_ACCOUNT_ROWS: AccountRows = { feature: 'sessions', tables: ['sessions', 'auth_changes'] };

/** SQLite's auth_changes keeps this many of the newest changes; a process further behind starts its cache again. */
const KEPT_AUTH_CHANGES = 10_000;

/** A session and the account it belongs to, as one authentication reads them. */
export interface SessionWithAccount {
  /** What a guard checks of the session: whose, which, its kind and times. */
  session: Pick<
    SessionRow,
    'account_id' | 'id' | 'kind' | 'created_at' | 'last_used_at' | 'expires_at' | 'reauthenticated_at'
  >;
  /** What a guard and GET /v1/me need of the account, its sealed fields not opened yet (AccountService does that). */
  account: AuthAccount;
}

/** The one row of the authentication lookup: only what SessionWithAccount holds, under names of their own. */
interface AuthRow {
  account_id: string;
  session_id: string;
  kind: SessionRow['kind'];
  session_created_at: number;
  last_used_at: number;
  expires_at: number;
  reauthenticated_at: number;
  status: StoredAccountRow['status'];
  role: StoredAccountRow['role'];
  locale: string;
  account_created_at: number;
  email_sealed: string | null;
  phone_sealed: string | null;
  name_sealed: string | null;
}

/**
 * Told, in the transaction that ends them, which sessions of an account a person (or a change of
 * password, a lock, a recovery) ended; or, with `replacedBy`, that one was replaced by a new one (a
 * re-authentication), which is not an end. Expiry does not tell: nobody ended those.
 */
export type SessionsEndedListener = (
  executor: Executor,
  accountId: string,
  ended: { ids: string[]; replacedBy?: string },
) => Promise<void>;

/** SQL for sessions (web, API and device tokens share this table). */
export class SessionRepository {
  private readonly byTokenHash: CompiledQuery<AuthRow>;
  // On SQLite, the same SQL as a statement of the reader connection, run without Kysely: its queue and
  // promises were a third of the CPU of GET /v1/me (114 against 72 µs per request with the statement run
  // directly, in paired runs); the SQL is still Kysely's, compiled once.
  private readonly byTokenHashOnReader: SqliteDatabase.Statement<[string], AuthRow> | undefined;
  private readonly endListeners: SessionsEndedListener[] = [];

  constructor(
    private readonly db: Db,
    sqliteReader?: SqliteDatabase.Database,
    /** Told of every write that ends or changes a session, so that this process's cache of checks drops it at once. */
    private readonly changes?: AuthChanges,
  ) {
    // The account comes with the session, so that a request that needs it (GET /v1/me, every guard that
    // checks the account's status and role) makes one round trip. Only the columns a request uses are
    // read (issue 18: the whole account row, password hash included, and the whole session were read and
    // split into objects by their keys on every request). Building and compiling this query took as long
    // as running it; it is compiled once, and each call only puts its token hash in the parameter.
    this.byTokenHash = db
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .select([
        'sessions.account_id as account_id',
        'sessions.id as session_id',
        'sessions.kind as kind',
        'sessions.created_at as session_created_at',
        'sessions.last_used_at as last_used_at',
        'sessions.expires_at as expires_at',
        'sessions.reauthenticated_at as reauthenticated_at',
        'accounts.status as status',
        'accounts.role as role',
        'accounts.locale as locale',
        'accounts.created_at as account_created_at',
        'accounts.email_sealed as email_sealed',
        'accounts.phone_sealed as phone_sealed',
        'accounts.name_sealed as name_sealed',
      ])
      .where('sessions.token_hash', '=', '')
      .compile() satisfies CompiledQuery<AuthRow>;
    if (this.byTokenHash.parameters.length !== 1) throw new Error('the session lookup must have exactly one parameter');
    this.byTokenHashOnReader = sqliteReader?.prepare<[string], AuthRow>(this.byTokenHash.sql);
  }

  async create(executor: Executor, row: SessionRow): Promise<void> {
    await this.pendingCreate(row, executor).execute();
  }

  /** The insert of a session, to be run with other writes (see db/atomic.ts). */
  pendingCreate(row: SessionRow, executor: Executor = this.db) {
    return executor.insertInto('sessions').values(row);
  }

  /** The hot path of every authenticated request: one unique-index lookup and a primary-key join. */
  async getByTokenHash(tokenHash: string): Promise<SessionWithAccount | undefined> {
    const row = this.byTokenHashOnReader
      ? this.byTokenHashOnReader.get(tokenHash)
      : (await this.db.executeQuery<AuthRow>({ ...this.byTokenHash, parameters: [tokenHash] })).rows[0];
    if (!row) return undefined;
    // Objects of one fixed shape, written out, so that the code reading them stays monomorphic.
    return {
      session: {
        account_id: row.account_id,
        id: row.session_id,
        kind: row.kind,
        created_at: row.session_created_at,
        last_used_at: row.last_used_at,
        expires_at: row.expires_at,
        reauthenticated_at: row.reauthenticated_at,
      },
      account: {
        id: row.account_id,
        status: row.status,
        role: row.role,
        locale: row.locale,
        created_at: row.account_created_at,
        email_sealed: row.email_sealed,
        phone_sealed: row.phone_sealed,
        name_sealed: row.name_sealed,
      },
    };
  }

  async get(accountId: string, id: string): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async list(accountId: string): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('last_used_at', 'desc')
      .execute();
  }

  /**
   * Records uses of several sessions in one statement: each session's last_used_at becomes `at` unless it
   * is already later (another process may have written a later use meanwhile).
   */
  async touchMany(sessions: ReadonlyArray<{ accountId: string; id: string }>, at: number): Promise<void> {
    if (sessions.length === 0) return;
    await this.db
      .updateTable('sessions')
      .set({ last_used_at: at })
      .where('last_used_at', '<', at)
      .where((eb) =>
        eb.or(sessions.map((session) => eb.and([eb('account_id', '=', session.accountId), eb('id', '=', session.id)]))),
      )
      .execute();
  }

  async update(
    executor: Executor,
    accountId: string,
    id: string,
    patch: Partial<Pick<SessionRow, 'reauthenticated_at' | 'last_used_at'>>,
  ): Promise<void> {
    this.changes?.writing(accountId);
    await executor
      .updateTable('sessions')
      .set(patch)
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }

  /** Runs `listener` in every transaction that ends sessions (the apps signed in through them are told). */
  onEnd(listener: SessionsEndedListener): void {
    this.endListeners.push(listener);
  }

  private async ended(
    executor: Executor,
    accountId: string,
    ended: { ids: string[]; replacedBy?: string },
  ): Promise<void> {
    if (ended.ids.length === 0) return;
    for (const listener of this.endListeners) await listener(executor, accountId, ended);
  }

  /** Deletes one session; true when it existed. `replacedBy`: a new session takes its place (re-authentication). */
  async delete(executor: Executor, accountId: string, id: string, replacedBy?: string): Promise<boolean> {
    this.changes?.writing(accountId);
    const result = await executor
      .deleteFrom('sessions')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows) > 0;
    if (deleted) await this.ended(executor, accountId, { ids: [id], ...(replacedBy ? { replacedBy } : {}) });
    return deleted;
  }

  /** Deletes every session of an account but one (and, if given, only of some kinds). */
  async deleteOthers(
    executor: Executor,
    accountId: string,
    keepId: string | null,
    kinds?: SessionRow['kind'][],
  ): Promise<number> {
    this.changes?.writing(accountId);
    let query = executor.deleteFrom('sessions').where('account_id', '=', accountId);
    if (keepId) query = query.where('id', '!=', keepId);
    if (kinds) query = query.where('kind', 'in', kinds);
    // One statement that says which ones it deleted (RETURNING, on both databases).
    const ids = (await query.returning('id').execute()).map((row) => row.id);
    await this.ended(executor, accountId, { ids });
    return ids.length;
  }

  /**
   * Deletes every session of the account, device tokens included, and tells no listener: a deletion, whose
   * erasure takes the apps' records with the account.
   */
  async deleteAll(executor: Executor, accountId: string): Promise<void> {
    this.changes?.writing(accountId);
    await executor.deleteFrom('sessions').where('account_id', '=', accountId).execute();
  }

  /**
   * Keeps the newest SQLite auth_changes only (the hourly sweep): every process reads them within moments,
   * and one that fell further behind empties its cache instead (src/db/auth-changes.ts).
   */
  async pruneAuthChanges(): Promise<void> {
    await sql`DELETE FROM auth_changes WHERE seq <= (SELECT max(seq) FROM auth_changes) - ${KEPT_AUTH_CHANGES}`.execute(
      this.db,
    );
  }

  /** Deletes expired sessions; a cached check finds them expired by itself, so nothing else is told. */
  async deleteExpired(now: number, idleMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      // Device tokens do not end for being idle (see DEVICE_TOKEN_LIFETIME_MS).
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb.and([eb('kind', '!=', 'device'), eb('last_used_at', '<=', now - idleMs)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
