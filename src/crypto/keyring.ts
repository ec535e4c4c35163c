import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { open, seal } from './sealing.js';
import { BoundedCache } from '../bounded-cache.js';
import { vacuumSqlite } from '../db/database.js';

/**
 * Where each account's data key lives. Kept apart from the main database on purpose: a backup of the
 * database then never holds the keys that open it, and destroying one key makes every copy of that
 * account's cloud data (replicas, backups, blobs) unreadable at once. A KMS can implement this.
 */
export interface KeyRing {
  /** The account's 256-bit data key, created on first use. */
  getOrCreate(accountId: string): Promise<Buffer>;
  /** The account's data key, or undefined when it has none (never created, or destroyed). */
  get(accountId: string): Promise<Buffer | undefined>;
  /** Destroys the key for good: what it sealed can never be opened again. */
  destroy(accountId: string): Promise<void>;
  /** Rewrites the store so that nothing of destroyed keys lingers in its files; undefined where the store needs no such thing. */
  compact?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Unwrapped keys kept in memory, one not used lately dropped first (BoundedCache), so that hot accounts
 * skip a read and an unwrap. Not zeroed when dropped: a request in flight (a photo streaming) may still be
 * using the buffer.
 */
export class KeyCache extends BoundedCache<string, Buffer> {
  drop(accountId: string): void {
    this.delete(accountId);
  }
}

// The wrapped key is bound to its account: a wrapped key copied onto another account's row does not open.
export const wrappingContext = (accountId: string) => `lanyard/account-key/v1/${accountId}`;

/**
 * The default key ring: a SQLite file of its own (`$LANYARD_DATA_DIR/keyring.db`), whatever the main
 * database is, with each key wrapped (AES-256-GCM) by the master key. Processes on several machines use
 * the PostgreSQL key ring instead (LANYARD_KEYRING_URL, src/crypto/postgres-keyring.ts) or a KMS.
 */
export class FileKeyRing implements KeyRing {
  private readonly sqlite: SqliteDatabase.Database;
  private readonly cache: KeyCache;
  // Prepared once: preparing the read on every call cost more than running it (issue 18: a third of a
  // cold session check's key lookup under a profiler).
  private readonly selectWrapped: SqliteDatabase.Statement<[string], { wrapped: Buffer }>;
  private readonly insertWrapped: SqliteDatabase.Statement<[string, Buffer, number]>;
  private readonly deleteWrapped: SqliteDatabase.Statement<[string]>;

  constructor(
    file: string,
    private readonly masterKey: Buffer,
    options: { cacheSize?: number } = {},
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const existed = fs.existsSync(file);
    this.sqlite = new SqliteDatabase(file);
    if (!existed) fs.chmodSync(file, 0o600);
    this.sqlite.pragma('journal_mode = WAL');
    // A key created and used to seal data must not vanish in a power cut, nor a destroyed one come back.
    this.sqlite.pragma('synchronous = FULL');
    this.sqlite.pragma('busy_timeout = 5000');
    // Deleted keys are overwritten in the file, not left in free pages.
    this.sqlite.pragma('secure_delete = ON');
    this.sqlite.exec(`CREATE TABLE IF NOT EXISTS account_keys (
      account_id TEXT PRIMARY KEY,
      wrapped BLOB NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    // 100,000 accounts (about 20 MB): past the cache, every session check reads the key ring and unwraps
    // again (+60-80 % per request, issue 18), and a phone maker's active accounts are far more than 1,000.
    this.cache = new KeyCache(options.cacheSize ?? 100_000);
    this.selectWrapped = this.sqlite.prepare('SELECT wrapped FROM account_keys WHERE account_id = ?');
    // Another request or process may create it at the same moment: the first insert wins and both read it back.
    this.insertWrapped = this.sqlite.prepare(
      'INSERT INTO account_keys (account_id, wrapped, created_at) VALUES (?, ?, ?) ON CONFLICT (account_id) DO NOTHING',
    );
    this.deleteWrapped = this.sqlite.prepare('DELETE FROM account_keys WHERE account_id = ?');
  }

  async getOrCreate(accountId: string): Promise<Buffer> {
    const known = await this.get(accountId);
    if (known) return known;
    const key = randomBytes(32);
    this.insertWrapped.run(accountId, seal(this.masterKey, key, wrappingContext(accountId)), Date.now());
    key.fill(0);
    const created = await this.get(accountId);
    if (!created) throw new Error('the key ring lost a key it just wrote');
    return created;
  }

  async get(accountId: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(accountId);
    if (cached) return cached;
    const row = this.selectWrapped.get(accountId);
    if (!row) return undefined;
    const key = open(this.masterKey, row.wrapped, wrappingContext(accountId));
    this.cache.set(accountId, key);
    return key;
  }

  async destroy(accountId: string): Promise<void> {
    this.cache.drop(accountId);
    this.deleteWrapped.run(accountId);
    // The WAL still holds the page as it was before the delete; fold it into the file (where secure_delete
    // zeroed the row) and empty the WAL, so that the wrapped key is gone from disk and not just unlinked.
    const [result] = this.sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result?.busy) {
      // A reader in another process holds the WAL; it is emptied at the next checkpoint that finds it free.
      // The key is already unreadable through this key ring; only the file's bytes wait.
      this.sqlite.pragma('wal_checkpoint(PASSIVE)');
    }
  }

  async compact(): Promise<void> {
    vacuumSqlite(this.sqlite);
  }

  /** How many unwrapped keys are held in memory (bounded by the cache size). */
  get cachedKeys(): number {
    return this.cache.size;
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.sqlite.close();
  }
}
