import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { KeyCache, wrappingContext, type KeyRing } from './keyring.js';
import { open, seal } from './sealing.js';

/** The NOTIFY channel on which a destroyed key's account id is announced to every process. */
const DESTROYED_CHANNEL = 'lanyard_key_destroyed';
/** How long the listener waits before connecting again after it lost the keyring database. */
const RECONNECT_MS = 1000;

/** Anything that can be logged: the app's pino logger, or nothing. */
interface Log {
  warn(object: object, message: string): void;
}

/**
 * The key ring on a PostgreSQL database of its own (LANYARD_KEYRING_URL): several processes on several
 * machines share it, and it stays apart from the main database (and from its backups) as the file key
 * ring does. Keys are wrapped by the master key exactly as in the file. A destroyed key is announced
 * with NOTIFY in the same statement as its delete, and every process drops it from its cache on LISTEN:
 * an erased account's key must not live on in another process's memory.
 */
export class PostgresKeyRing implements KeyRing {
  private readonly cache: KeyCache;
  private listener: pg.Client | undefined;
  /** Whether the listener is connected: while it is not, a notification could be missed, so nothing is cached. */
  private listening = false;
  /**
   * Bumped by every notification (and every lost listener): a read that began before a key was destroyed
   * must not put the key it read into the cache after the notification dropped it.
   */
  private epoch = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
    private readonly masterKey: Buffer,
    private readonly log: Log | undefined,
    cacheSize: number,
  ) {
    this.cache = new KeyCache(cacheSize);
  }

  /** Connects, creates the table if needed and starts listening for destroyed keys. */
  static async open(
    url: string,
    masterKey: Buffer,
    options: { cacheSize?: number; log?: Log } = {},
  ): Promise<PostgresKeyRing> {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on('error', (error) => options.log?.warn({ err: error }, 'a key ring database connection failed'));
    const ring = new PostgresKeyRing(pool, url, masterKey, options.log, options.cacheSize ?? 100_000);
    try {
      await migrateKeyRingDatabase(pool);
      await ring.listen();
    } catch (error) {
      await ring.close();
      throw error;
    }
    return ring;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      // Notifications sent while nobody listened are lost: forget every key rather than keep a destroyed one.
      this.epoch++;
      this.cache.clear();
      if (this.closed) return;
      this.log?.warn(
        { err: error },
        'lost the key ring database notifications; reconnecting (keys are read through meanwhile)',
      );
      client.end().catch(() => {});
      this.reconnectTimer = setTimeout(() => void this.listen().catch(() => lost()), RECONNECT_MS);
      this.reconnectTimer.unref();
    };
    this.listener = client;
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      this.epoch++;
      if (message.payload) this.cache.drop(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DESTROYED_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      throw error;
    }
    // Keys cached before the listener (re)connected may have been destroyed meanwhile.
    this.epoch++;
    this.cache.clear();
    this.listening = true;
  }

  async getOrCreate(accountId: string): Promise<Buffer> {
    const known = await this.get(accountId);
    if (known) return known;
    const key = randomBytes(32);
    // Another process may create it at the same moment: the first insert wins and both read it back.
    await this.pool.query(
      'INSERT INTO account_keys (account_id, wrapped, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING',
      [accountId, seal(this.masterKey, key, wrappingContext(accountId)), Date.now()],
    );
    key.fill(0);
    const created = await this.get(accountId);
    if (!created) throw new Error('the key ring lost a key it just wrote');
    return created;
  }

  async get(accountId: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(accountId);
    if (cached) return cached;
    const epoch = this.epoch;
    const { rows } = await this.pool.query<{ wrapped: Buffer }>(
      'SELECT wrapped FROM account_keys WHERE account_id = $1',
      [accountId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const key = open(this.masterKey, row.wrapped, wrappingContext(accountId));
    if (this.listening && epoch === this.epoch) this.cache.set(accountId, key);
    return key;
  }

  async destroy(accountId: string): Promise<void> {
    this.cache.drop(accountId);
    // One statement, so one transaction: the notification goes out when (and only if) the delete commits.
    await this.pool.query(
      `WITH gone AS (DELETE FROM account_keys WHERE account_id = $1) SELECT pg_notify('${DESTROYED_CHANNEL}', $1)`,
      [accountId],
    );
    this.epoch++;
    this.cache.drop(accountId);
  }

  /**
   * Copies wrapped keys from a file key ring (moving to this one). Each must open with this master key;
   * accounts in `skip` (erased: a tombstone names them) are left out, so that no destroyed key comes back;
   * a key already here stays, and one that differs from the file's is reported as a conflict.
   */
  async importWrapped(
    rows: Array<{ accountId: string; wrapped: Buffer; createdAt: number }>,
    skip: (accountId: string) => boolean,
  ): Promise<{ imported: number; present: number; skipped: number; conflicts: string[] }> {
    const result = { imported: 0, present: 0, skipped: 0, conflicts: [] as string[] };
    for (const row of rows) {
      if (skip(row.accountId)) {
        result.skipped++;
        continue;
      }
      // Throws on another master key: better to stop than to copy keys nobody can open.
      let key: Buffer;
      try {
        key = open(this.masterKey, row.wrapped, wrappingContext(row.accountId));
      } catch {
        throw new Error(
          `the key of account ${row.accountId} does not open with this LANYARD_MASTER_KEY: it is the master key of another installation, or the file is damaged; nothing more was copied`,
        );
      }
      const { rowCount } = await this.pool.query(
        'INSERT INTO account_keys (account_id, wrapped, created_at) VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING',
        [row.accountId, row.wrapped, row.createdAt],
      );
      if (rowCount) result.imported++;
      else if ((await this.get(row.accountId))?.equals(key)) result.present++;
      else result.conflicts.push(row.accountId);
      key.fill(0);
    }
    return result;
  }

  /** How many unwrapped keys are held in memory (bounded by the cache size). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.cache.clear();
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => {});
    await this.pool.end();
  }
}

/**
 * The key ring database's tables: the wrapped keys, and the tombstones that re-apply deletions after a
 * restore of the main database (see src/deletion/tombstone-log.ts). Idempotent, run by every process at start.
 */
export async function migrateKeyRingDatabase(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Two processes starting at once would race on CREATE TABLE IF NOT EXISTS (a unique violation in the catalogue).
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('lanyard keyring schema'))");
    await client.query(`CREATE TABLE IF NOT EXISTS account_keys (
      account_id TEXT PRIMARY KEY,
      wrapped BYTEA NOT NULL,
      created_at BIGINT NOT NULL
    )`);
    await client.query(`CREATE TABLE IF NOT EXISTS tombstones (
      account_hash TEXT PRIMARY KEY,
      deleted_at TEXT NOT NULL,
      release_devices BOOLEAN NOT NULL,
      logged_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    // Append-only: a tombstone edited or removed would let a restored backup bring an erased account back.
    await client.query(`CREATE OR REPLACE FUNCTION lanyard_tombstones_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'tombstones are append-only'; END $$`);
    for (const [name, when] of [
      ['tombstones_append_only', 'BEFORE UPDATE OR DELETE ON tombstones FOR EACH ROW'],
      ['tombstones_no_truncate', 'BEFORE TRUNCATE ON tombstones FOR EACH STATEMENT'],
    ] as const) {
      await client.query(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '${name}' AND tgrelid = 'tombstones'::regclass) THEN
          CREATE TRIGGER ${name} ${when} EXECUTE FUNCTION lanyard_tombstones_append_only();
        END IF;
      END $$`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
