// `lanyard seed`: many real accounts written straight into the tables in the shape the app writes them,
// for trying Lanyard at scale (a million accounts with three million devices in minutes, where sign-ups
// through the API would spend days in argon2). Every row is usable: each account has its own data key in
// the key ring, its email, device names and session origins are sealed under that key with the app's own
// sealers, its serials are locked under the server's lookup key, and it signs in with the printed password.
// The benchmarks (bench/) seed through the same Seeder, on the database of a server they started.
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { ProfileSealer } from '../accounts/sealed-profile.js';
import { itemAad } from '../cloud/service.js';
import type { Config } from '../config.js';
import { FileKeyRing, wrappingContext, type KeyRing } from '../crypto/keyring.js';
import { deriveServerKeys, loadOrCreateMasterKey, type ServerKeys } from '../crypto/keys.js';
import { hashPassword } from '../crypto/passwords.js';
import { seal, sealText } from '../crypto/sealing.js';
import { hmac, sha256 } from '../crypto/tokens.js';
import { PostgresKeyRing } from '../crypto/postgres-keyring.js';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { DeviceSealer } from '../devices/sealed-fields.js';
import { OriginSealer } from '../events/sealed-origin.js';

type Cell = string | number | null;
type Row = Record<string, Cell>;
type WrappedKey = { account_id: string; wrapped: Buffer; created_at: number };

/** The password of every seeded account: they all share one argon2id hash of it, computed once per run. */
export const SEED_PASSWORD = 'lanyard seed password';

const MODELS = [
  ['Redmi Note 13', 'phone'],
  ['Xiaomi 14', 'phone'],
  ['Redmi Pad SE', 'tablet'],
  ['Watch S3', 'watch'],
  ['Smart Band 8', 'band'],
] as const;
const DAY = 86_400_000;
const SEED_ORIGIN = { ip: '203.0.113.7', client: 'lanyard-seed/1' };

/** Where to seed: the database, key ring and master key a server's configuration names. */
export type SeedTarget = Pick<Config, 'dataDir' | 'databaseUrl' | 'keyringUrl' | 'masterKey'>;

export interface SeedSettings {
  devicesPerAccount: number;
  /** One account in `cloudEvery` gets `contacts` contacts in its cloud (0: none). */
  cloudEvery: number;
  contacts: number;
  /** Accounts per transaction. */
  batchSize: number;
}

export const DEFAULT_SEED_SETTINGS: SeedSettings = {
  devicesPerAccount: 3,
  cloudEvery: 10,
  contacts: 10,
  batchSize: 2500,
};

export interface SeedReport {
  accounts: number;
  devices: number;
  contacts: number;
  /** Rows written in all, key ring entries included. */
  rows: number;
  seconds: number;
}

/** A JSON item for addItems: its collection, its id and its body as the client sent it. */
export interface SeedItem {
  collection: string;
  itemId: string;
  text: string;
}

/** Writes rows in big transactions: one prepared statement per table on SQLite, INSERT … SELECT FROM unnest(…) on PostgreSQL. */
interface RowWriter {
  write(tables: Array<[string, Row[]]>): Promise<void>;
  close(): Promise<void>;
}

const columnsOf = (rows: Row[]) => Object.keys(rows[0]!);

function sqliteWriter(sqlite: SqliteDatabase.Database): RowWriter {
  // Seeding only: a power cut loses a seed that is run again anyway; settle() checkpoints at the end.
  sqlite.pragma('synchronous = OFF');
  const statements = new Map<string, SqliteDatabase.Statement>();
  const writeAll = sqlite.transaction((tables: Array<[string, Row[]]>) => {
    for (const [table, rows] of tables) {
      if (rows.length === 0) continue;
      const columns = columnsOf(rows);
      const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      for (const row of rows) statement.run(columns.map((c) => row[c]));
    }
  });
  // The connection is the database handle's, closed with it.
  return { write: async (tables) => void writeAll(tables), close: async () => {} };
}

async function postgresWriter(url: string): Promise<RowWriter> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // Foreign keys are checked by a trigger per row, most of a bulk insert's time. A superuser may skip them
  // (session_replication_role): these rows are consistent by construction, each batch writing its accounts
  // before what refers to them. Anyone else gets the checks.
  let skipTriggers: boolean;
  try {
    const { rows } = await pool.query<{ superuser: string }>("SELECT current_setting('is_superuser') AS superuser");
    skipTriggers = rows[0]?.superuser === 'on';
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    close: () => pool.end(),
    write: async (tables) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Seeding only: a crash loses batches that are seeded again anyway.
        await client.query('SET LOCAL synchronous_commit = off');
        if (skipTriggers) await client.query('SET LOCAL session_replication_role = replica');
        for (const [table, rows] of tables) {
          if (rows.length === 0) continue;
          const columns = columnsOf(rows);
          const types = columns.map((c) => {
            const sample = rows.find((row) => row[c] !== null)?.[c];
            return typeof sample === 'number' ? 'bigint[]' : Buffer.isBuffer(sample) ? 'bytea[]' : 'text[]';
          });
          await client.query(
            `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${columns.map((_, i) => `$${i + 1}::${types[i]}`).join(', ')})`,
            columns.map((c) => rows.map((row) => row[c])),
          );
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

/**
 * The key ring the server opens (the file key ring, or the PostgreSQL one), for the key of an account
 * that already exists, and a path of our own into its store that writes new keys in bulk.
 */
interface KeyStore {
  ring: KeyRing;
  write(keys: WrappedKey[]): Promise<void>;
  /** Checkpoints the file key ring's WAL. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Hands the sealers the keys of the batch being built; nothing else asks it. */
class BatchKeys implements KeyRing {
  readonly keys = new Map<string, Buffer>();
  async getOrCreate(accountId: string): Promise<Buffer> {
    return this.keys.get(accountId)!;
  }
  async get(accountId: string): Promise<Buffer | undefined> {
    return this.keys.get(accountId);
  }
  async destroy(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The cloud item row CloudService.commit writes for a JSON item's first version. */
function cloudItemRow(key: Buffer, accountId: string, item: SeedItem, seq: number, now: number): Row {
  return {
    account_id: accountId,
    collection: item.collection,
    item_id: item.itemId,
    version: 1,
    seq,
    updated_at: now,
    deleted: 0,
    body: sealText(key, item.text, itemAad(accountId, item.collection, item.itemId, 1)),
    blob_name: null,
    content_type: null,
    size: Buffer.byteLength(item.text),
    thumbnail: 0,
  };
}

/**
 * Adds seeded accounts to the database and key ring a configuration names. Emails are
 * `seed<index>.<run>@example.com` (the run a random tag, so that --append never collides); every
 * account also gets an API session and each device its device session, with tokens only this object
 * knows (tokenOf), so that a bench can use sessions of any seeded account without signing in.
 */
export class Seeder {
  readonly run = randomBytes(3).toString('hex');
  private readonly tokenSecret = randomBytes(32);
  private readonly batchKeys = new BatchKeys();
  private readonly profiles = new ProfileSealer(this.batchKeys);
  private readonly deviceSealer = new DeviceSealer(this.batchKeys);
  private readonly origins = new OriginSealer(this.batchKeys);
  private seeded = 0;

  private constructor(
    private readonly handle: DatabaseHandle,
    private readonly rows: RowWriter,
    private readonly keyStore: KeyStore,
    private readonly keys: ServerKeys,
    private readonly passwordHash: string,
    readonly settings: SeedSettings,
  ) {}

  /**
   * Opens the target's database and key ring. `migrate: false` leaves the schema as it is, for the
   * database of a running server (which migrated it at start, to its own version, perhaps an older one).
   */
  static async open(
    target: SeedTarget,
    settings: Partial<SeedSettings> = {},
    { migrate = true }: { migrate?: boolean } = {},
  ): Promise<Seeder> {
    const keys = deriveServerKeys(target.masterKey ?? loadOrCreateMasterKey(target.dataDir));
    const handle = openDatabase({ url: target.databaseUrl, sqlitePath: path.join(target.dataDir, 'lanyard.db') });
    let keyStore: KeyStore | undefined;
    let rows: RowWriter | undefined;
    try {
      if (migrate) await migrateToLatest(handle.db);
      keyStore = await openKeyStore(target, keys.master);
      rows = handle.sqlite ? sqliteWriter(handle.sqlite) : await postgresWriter(target.databaseUrl!);
      const passwordHash = await hashPassword(SEED_PASSWORD);
      return new Seeder(handle, rows, keyStore, keys, passwordHash, { ...DEFAULT_SEED_SETTINGS, ...settings });
    } catch (error) {
      await keyStore?.close();
      await rows?.close();
      await handle.close();
      throw error;
    }
  }
  /** Accounts in the database, seeded or not. */
  async existingAccounts(): Promise<number> {
    const row = await this.handle.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** How many accounts this seeder has added. */
  get accounts(): number {
    return this.seeded;
  }

  emailOf(index: number): string {
    return `seed${index}.${this.run}@example.com`;
  }

  /** The bearer token of seeded account `index`'s API session. */
  tokenOf(index: number): string {
    return hmac(this.tokenSecret, 'api', String(index)).slice(0, 43);
  }

  /** The serial of seeded device `index` (account index × devices per account + device number). */
  serialOf(index: number): string {
    return `SD${this.run.toUpperCase()}${index.toString().padStart(8, '0')}`;
  }

  /** Seeds accounts until this seeder has added `total`. */
  async growTo(total: number, onBatch?: (done: number) => void): Promise<SeedReport> {
    const started = performance.now();
    const from = this.seeded;
    const report: SeedReport = { accounts: 0, devices: 0, contacts: 0, rows: 0, seconds: 0 };
    // The next batch is sealed while the previous one is written (PostgreSQL writes off the event loop).
    let pending: Promise<void> | undefined;
    while (this.seeded < total) {
      const end = Math.min(total, this.seeded + this.settings.batchSize);
      const batch = await this.batch(this.seeded, end);
      await pending;
      pending = (async () => {
        // Keys first, so that no row is ever visible without the key that opens it.
        await this.keyStore.write(batch.keys);
        await this.rows.write(batch.tables);
        onBatch?.(end);
      })();
      report.rows += batch.keys.length + batch.tables.reduce((sum, [, rows]) => sum + rows.length, 0);
      report.contacts += batch.contacts;
      this.seeded = end;
    }
    await pending;
    report.accounts = this.seeded - from;
    report.devices = report.accounts * this.settings.devicesPerAccount;
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  /**
   * Adds `count` JSON items (`itemOf(0)` … `itemOf(count − 1)`) to the cloud of an account that has none
   * yet, one made through the API say, as CloudService.commit writes them: each sealed under the account's
   * key from the key ring, seq counting up. The counter row comes with the last batch, so that it never
   * claims items not yet written. Returns the seconds it took.
   */
  async addItems(accountId: string, count: number, itemOf: (n: number) => SeedItem, batchSize = 5000): Promise<number> {
    const started = performance.now();
    const key = await this.keyStore.ring.get(accountId);
    if (!key) throw new Error(`the key ring holds no key for ${accountId}`);
    const now = Date.now();
    let usedBytes = 0;
    for (let from = 0; from < count; from += batchSize) {
      const items: Row[] = [];
      for (let n = from; n < Math.min(count, from + batchSize); n++) {
        const item = itemOf(n);
        usedBytes += Buffer.byteLength(item.text);
        items.push(cloudItemRow(key, accountId, item, n + 1, now));
      }
      const last = from + batchSize >= count;
      await this.rows.write([
        ['cloud_items', items],
        [
          'cloud_accounts',
          last ? [{ account_id: accountId, last_seq: count, used_bytes: usedBytes, updated_at: now }] : [],
        ],
      ]);
    }
    return (performance.now() - started) / 1000;
  }

  /**
   * Makes the database ready to be read as one that grew over months: no WAL to walk, and on PostgreSQL
   * the statistics autovacuum keeps. SQLite is not analysed: the server never runs ANALYZE, and its
   * sqlite_stat4 samples index keys (account ids among them) that an account's erasure would leave behind.
   */
  async settle(): Promise<void> {
    await this.keyStore.settle();
    if (this.handle.sqlite) {
      this.handle.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    } else {
      // Autovacuum would vacuum and analyse the fresh rows within a minute, in the middle of what follows.
      await sql`VACUUM (ANALYZE)`.execute(this.handle.db);
    }
  }

  private async batch(from: number, to: number) {
    const keys: WrappedKey[] = [];
    const accounts: Row[] = [];
    const sessions: Row[] = [];
    const devices: Row[] = [];
    const locks: Row[] = [];
    const cloudAccounts: Row[] = [];
    const items: Row[] = [];
    const now = Date.now();
    this.batchKeys.keys.clear();
    for (let i = from; i < to; i++) {
      const id = uuidv7();
      const key = randomBytes(32);
      this.batchKeys.keys.set(id, key);
      const createdAt = now - (i % 700) * DAY;
      keys.push({ account_id: id, wrapped: seal(this.keys.master, key, wrappingContext(id)), created_at: now });
      const email = this.emailOf(i);
      // The columns sign-up writes (src/accounts/service.ts): the email sealed, found by its blind index.
      accounts.push({
        id,
        status: 'active',
        email_lookup: hmac(this.keys.lookup, 'email', email),
        phone_lookup: null,
        email_sealed: this.profiles.seal(key, id, 'email', email),
        phone_sealed: null,
        name_sealed: this.profiles.seal(key, id, 'name', `Seed ${i}`),
        password_hash: this.passwordHash,
        role: 'user',
        locale: i % 4 === 3 ? 'es' : 'en',
        created_at: createdAt,
        updated_at: createdAt,
        password_changed_at: createdAt,
      });
      sessions.push(await this.session(id, uuidv7(), sha256(this.tokenOf(i)), 'api', now, now + 30 * DAY));
      for (let d = 0; d < this.settings.devicesPerAccount; d++) {
        const index = i * this.settings.devicesPerAccount + d;
        const serial = this.serialOf(index);
        const deviceId = uuidv7();
        const sessionId = uuidv7();
        const lookup = hmac(this.keys.lookup, 'serial', serial);
        const [model, kind] = MODELS[index % MODELS.length]!;
        const linkedAt = createdAt + d * DAY;
        // The sealer's own output (the name sealed, its plaintext column emptied), so that this stays its shape.
        const sealedName = await this.deviceSealer.sealWrite(id, deviceId, { name: `${model} ${d + 1}` });
        devices.push({
          account_id: id,
          id: deviceId,
          serial_lookup: lookup,
          serial_hint: serial.slice(-4),
          model,
          kind,
          session_id: sessionId,
          linked_at: linkedAt,
          last_seen_at: now,
          last_location: null,
          ...sealedName,
        });
        const deviceToken = hmac(this.tokenSecret, 'device', String(index)).slice(0, 43);
        sessions.push(await this.session(id, sessionId, sha256(deviceToken), 'device', now, now + 3650 * DAY));
        locks.push({ lookup, kind: 'serial', account_id: id, device_id: deviceId, locked_at: linkedAt });
      }
      if (this.settings.contacts > 0 && i % this.settings.cloudEvery === 0) {
        let used = 0;
        for (let c = 0; c < this.settings.contacts; c++) {
          const text = JSON.stringify({
            name: `Contact ${c} of seed ${i}`,
            phone: `+3460${String(c).padStart(7, '0')}`,
          });
          used += Buffer.byteLength(text);
          items.push(cloudItemRow(key, id, { collection: 'contacts', itemId: `contact-${c}`, text }, c + 1, now));
        }
        cloudAccounts.push({ account_id: id, last_seq: this.settings.contacts, used_bytes: used, updated_at: now });
      }
    }
    for (const key of this.batchKeys.keys.values()) key.fill(0);
    this.batchKeys.keys.clear();
    const tables: Array<[string, Row[]]> = [
      ['accounts', accounts],
      ['sessions', sessions],
      ['devices', devices],
      ['device_locks', locks],
      ['cloud_accounts', cloudAccounts],
      ['cloud_items', items],
    ];
    return { keys, tables, contacts: items.length };
  }

  private async session(
    accountId: string,
    id: string,
    tokenHash: string,
    kind: 'api' | 'device',
    now: number,
    expiresAt: number,
  ): Promise<Row> {
    return {
      account_id: accountId,
      id,
      token_hash: tokenHash,
      kind,
      created_at: now,
      last_used_at: now,
      expires_at: expiresAt,
      reauthenticated_at: now,
      ...(await this.origins.seal(accountId, 'sessions', id, SEED_ORIGIN)),
    };
  }

  async close(): Promise<void> {
    await this.keyStore.close();
    await this.rows.close();
    await this.handle.close();
  }
}

async function openKeyStore(target: SeedTarget, master: Buffer): Promise<KeyStore> {
  if (target.keyringUrl) {
    // The key ring creates its table on opening; new keys then go in bulk through its own pool.
    const ring = await PostgresKeyRing.open(target.keyringUrl, master);
    return {
      ring,
      write: async (keys) => {
        await ring.pool.query(
          'INSERT INTO account_keys (account_id, wrapped, created_at) SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[])',
          [keys.map((k) => k.account_id), keys.map((k) => k.wrapped), keys.map((k) => k.created_at)],
        );
      },
      settle: async () => {},
      close: () => ring.close(),
    };
  }
  const file = path.join(target.dataDir, 'keyring.db');
  // Creates the file, its mode and its table as the server would; new keys then go through a connection of our own.
  const ring = new FileKeyRing(file, master);
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('synchronous = OFF');
  // As FileKeyRing does: a page split by this connection must not leave copies of wrapped keys behind.
  sqlite.pragma('secure_delete = ON');
  const insert = sqlite.prepare('INSERT INTO account_keys (account_id, wrapped, created_at) VALUES (?, ?, ?)');
  const writeAll = sqlite.transaction((keys: WrappedKey[]) => {
    for (const key of keys) insert.run(key.account_id, key.wrapped, key.created_at);
  });
  const checkpoint = () => void sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return {
    ring,
    write: async (keys) => writeAll(keys),
    settle: async () => checkpoint(),
    close: async () => {
      checkpoint();
      sqlite.close();
      await ring.close();
    },
  };
}

export class SeedUsageError extends Error {}

/** `lanyard seed --accounts N [--devices-per-account 3] [--contacts 10] [--database URL] [--append]`. */
export async function seedCommand(args: string[], loadConfig: () => Config): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        accounts: { type: 'string' },
        'devices-per-account': { type: 'string', default: '3' },
        contacts: { type: 'string', default: '10' },
        database: { type: 'string' },
        append: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new SeedUsageError(error instanceof Error ? error.message : String(error));
  }
  const count = (name: string, max: number) => {
    const raw = values[name] as string | undefined;
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 0 || value > max)
      throw new SeedUsageError(`--${name} must be a whole number from 0 to ${max.toLocaleString('en-US')}`);
    return value;
  };
  if (values.accounts === undefined) throw new SeedUsageError('seed needs --accounts N');
  const accounts = count('accounts', 100_000_000);
  const devicesPerAccount = count('devices-per-account', 20);
  const contacts = count('contacts', 1000);
  if (typeof values.database === 'string') {
    if (!/^postgres(ql)?:\/\//.test(values.database))
      throw new SeedUsageError('--database must be a postgres:// URL (SQLite is the data folder’s lanyard.db)');
    process.env.LANYARD_DATABASE_URL = values.database;
  }
  const config = loadConfig();
  const seeder = await Seeder.open(config, { devicesPerAccount, contacts });
  try {
    const existing = await seeder.existingAccounts();
    if (existing > 0 && !values.append)
      throw new Error(
        `the database already holds ${existing.toLocaleString('en-US')} account(s); pass --append to add the seeded ones to them`,
      );
    let lastShown = 0;
    const report = await seeder.growTo(accounts, (done) => {
      if (process.stderr.isTTY && performance.now() - lastShown > 1000) {
        lastShown = performance.now();
        process.stderr.write(`\r  ${done.toLocaleString('en-US')} of ${accounts.toLocaleString('en-US')} accounts`);
      }
    });
    if (process.stderr.isTTY && lastShown) process.stderr.write('\n');
    await seeder.settle();
    const last = Math.max(0, accounts - 1);
    process.stdout.write(
      `Seeded ${report.accounts.toLocaleString('en-US')} accounts, ${report.devices.toLocaleString('en-US')} devices and ${report.contacts.toLocaleString('en-US')} contacts (${report.rows.toLocaleString('en-US')} rows) in ${report.seconds.toFixed(1)} s.\n` +
        `Emails: ${seeder.emailOf(0)} … ${seeder.emailOf(last)}\n` +
        `Password (all of them, one shared argon2id hash): ${SEED_PASSWORD}\n` +
        `Serials: ${seeder.serialOf(0)} … ${seeder.serialOf(last * devicesPerAccount + Math.max(0, devicesPerAccount - 1))}, each locked to its account\n`,
    );
  } finally {
    await seeder.close();
  }
}
