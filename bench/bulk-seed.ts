// Accounts and devices written straight into the database, in the shape the app writes them, because
// 100,000 sign-ups through the API would spend most of an hour in argon2. What the benchmarked lookups
// read stays real: session token hashes, account ids, HMAC serial lookups under the server's lookup
// key, and the owner's email sealed under a data key that the key ring file really holds.
import SqliteDatabase from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { ProfileSealer } from '../src/accounts/sealed-profile.js';
import type { KeyRing } from '../src/crypto/keyring.js';
import { deriveServerKeys, type ServerKeys } from '../src/crypto/keys.js';
import { hashPassword } from '../src/crypto/passwords.js';
import { seal, sealText } from '../src/crypto/sealing.js';
import { hmac, sha256 } from '../src/crypto/tokens.js';
import { masterKeyOf, type BenchDialect } from './fresh-server.js';

export type Row = Record<string, string | number | null>;

interface Batch {
  keys: Array<{ account_id: string; wrapped: Buffer; created_at: number }>;
  accounts: Row[];
  sessions: Row[];
  devices: Row[];
  device_locks: Row[];
}

// Copies of what src/crypto/keyring.ts binds a wrapped key to and src/devices/sealed-fields.ts binds a
// device name to (kept synchronous here: seeding 100,000 accounts is mostly this crypto); checkSeeded
// in bench/devices.ts proves them right through the API on every run.
const wrappingContext = (accountId: string) => `lanyard/account-key/v1/${accountId}`;
const deviceNameContext = (accountId: string, deviceId: string) =>
  JSON.stringify(['lanyard/device-field/v1', accountId, deviceId, 'name']);
// And of src/events/sealed-origin.ts, which seals a session's IP address and client.
const originContext = (accountId: string, sessionId: string) =>
  JSON.stringify(['lanyard/origin/v1', accountId, 'sessions', sessionId]);
const SEED_ORIGIN = JSON.stringify(['203.0.113.7', 'lanyard-bench-seed/1']);

const MODELS = [
  ['Redmi Note 13', 'phone'],
  ['Xiaomi 14', 'phone'],
  ['Redmi Pad SE', 'tablet'],
  ['Watch S3', 'watch'],
  ['Smart Band 8', 'band'],
] as const;
const DAY = 86_400_000;

/** Writes batches of rows: prepared inserts on SQLite, one INSERT … SELECT FROM unnest(…) a table on PostgreSQL. */
export interface RowWriter {
  write(tables: Array<[string, Row[]]>): Promise<void>;
  finish(): Promise<void>;
  close(): Promise<void>;
}

export function sqliteWriter(file: string): RowWriter {
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('busy_timeout = 10000');
  // Seeding only: a crash loses the seed, which is thrown away anyway.
  sqlite.pragma('synchronous = OFF');
  // As the server's connection does: pages this connection splits or frees are zeroed, not left with stale rows.
  sqlite.pragma('secure_delete = ON');
  const statements = new Map<string, SqliteDatabase.Statement>();
  const insert = (table: string, columns: string[]) => {
    const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = sqlite.prepare(sql)));
    return statement;
  };
  const writeAll = sqlite.transaction((tables: Array<[string, Row[]]>) => {
    for (const [table, rows] of tables) {
      if (rows.length === 0) continue;
      const columns = Object.keys(rows[0]!);
      const statement = insert(table, columns);
      for (const row of rows) statement.run(columns.map((c) => row[c]));
    }
  });
  return {
    write: async (tables) => void writeAll(tables),
    // The next reader should not have to walk a WAL of the whole seed.
    finish: async () => void sqlite.pragma('wal_checkpoint(TRUNCATE)'),
    close: async () => {
      sqlite.close();
    },
  };
}

export async function postgresWriter(url: string): Promise<RowWriter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('SET synchronous_commit = off');
  return {
    write: async (tables) => {
      await client.query('BEGIN');
      try {
        for (const [table, rows] of tables) {
          if (rows.length === 0) continue;
          const columns = Object.keys(rows[0]!);
          const types = columns.map((c) => (typeof rows[0]![c] === 'number' ? 'bigint[]' : 'text[]'));
          const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${columns.map((_, i) => `$${i + 1}::${types[i]}`).join(', ')})`;
          await client.query(
            sql,
            columns.map((c) => rows.map((row) => row[c])),
          );
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    // Autovacuum would vacuum and analyse tables that grew this much within a minute (PostgreSQL 13 and
    // later vacuum after inserts too), and did so while the measurements ran: do it now, as a database that
    // grew over months has long had it done.
    finish: async () => void (await client.query('VACUUM (ANALYZE)')),
    close: () => client.end(),
  };
}

export interface SeedReport {
  accounts: number;
  devices: number;
  /** Rows written in all (accounts, sessions, devices, locks, key ring entries). */
  rows: number;
  seconds: number;
}

/**
 * Adds accounts (each with an API session and three devices, each device with its device token and
 * its lock) in batches of 2,500 accounts, about 10,000 rows a table, each batch in one transaction.
 */
export class BulkSeeder {
  /** Random per run, so that serials and tokens never collide with another run's. */
  private readonly salt = randomBytes(3).toString('hex').toUpperCase();
  private readonly profiles: ProfileSealer;
  private seeded = 0;

  private constructor(
    private readonly writer: RowWriter,
    private readonly keyRing: SqliteDatabase.Database,
    private readonly keys: ServerKeys,
    private readonly passwordHash: string,
    readonly devicesPerAccount: number,
  ) {
    this.profiles = new ProfileSealer(undefined as unknown as KeyRing);
  }

  /** Seeds the database of the server whose data folder is `dataDir`, under that server's own keys. */
  static async open(options: {
    database: BenchDialect;
    dataDir: string;
    pgUrl?: string | undefined;
    devicesPerAccount?: number;
  }) {
    const keys = deriveServerKeys(masterKeyOf(options.dataDir));
    // Seeded accounts are signed in by their seeded session tokens; nobody knows their password.
    const passwordHash = await hashPassword(`bench-${randomBytes(8).toString('hex')}`);
    const writer =
      options.database === 'postgres'
        ? await postgresWriter(options.pgUrl!)
        : sqliteWriter(path.join(options.dataDir, 'lanyard.db'));
    const keyRing = new SqliteDatabase(path.join(options.dataDir, 'keyring.db'));
    keyRing.pragma('busy_timeout = 10000');
    keyRing.pragma('synchronous = OFF');
    // As FileKeyRing does: a page split by this connection must not leave copies of wrapped keys behind.
    keyRing.pragma('secure_delete = ON');
    return new BulkSeeder(writer, keyRing, keys, passwordHash, options.devicesPerAccount ?? 3);
  }

  get accounts(): number {
    return this.seeded;
  }

  /** The bearer token of the seeded account `index`'s API session (43 base64url characters, like a real one). */
  tokenOf(index: number): string {
    return createHash('sha256').update(`${this.salt}/api/${index}`).digest('base64url');
  }

  /** The serial of seeded device `index` (account index × devices per account + device number). */
  serialOf(index: number): string {
    return `BN${this.salt}${index.toString().padStart(7, '0')}`;
  }

  emailOf(index: number): string {
    return `seed${index}.${this.salt.toLowerCase()}@example.com`;
  }

  /** Seeds accounts until there are `total`; returns what this call wrote and how long it took. */
  async growTo(total: number, batchSize = 2500): Promise<SeedReport> {
    const started = performance.now();
    const from = this.seeded;
    let rows = 0;
    while (this.seeded < total) {
      const batch = this.batch(this.seeded, Math.min(total, this.seeded + batchSize));
      // Keys first, so that no row is ever visible without the key that opens it.
      this.keyRing.transaction(() => {
        const insert = this.keyRing.prepare(
          'INSERT INTO account_keys (account_id, wrapped, created_at) VALUES (?, ?, ?)',
        );
        for (const key of batch.keys) insert.run(key.account_id, key.wrapped, key.created_at);
      })();
      await this.writer.write([
        ['accounts', batch.accounts],
        ['sessions', batch.sessions],
        ['devices', batch.devices],
        ['device_locks', batch.device_locks],
      ]);
      rows +=
        batch.keys.length +
        batch.accounts.length +
        batch.sessions.length +
        batch.devices.length +
        batch.device_locks.length;
      this.seeded = Math.min(total, this.seeded + batchSize);
    }
    await this.writer.finish();
    this.keyRing.pragma('wal_checkpoint(TRUNCATE)');
    const accounts = this.seeded - from;
    return {
      accounts,
      devices: accounts * this.devicesPerAccount,
      rows,
      seconds: (performance.now() - started) / 1000,
    };
  }

  private batch(from: number, to: number): Batch {
    const batch: Batch = { keys: [], accounts: [], sessions: [], devices: [], device_locks: [] };
    const now = Date.now();
    for (let i = from; i < to; i++) {
      const id = uuidv7();
      const key = randomBytes(32);
      const createdAt = now - (i % 700) * DAY;
      batch.keys.push({ account_id: id, wrapped: seal(this.keys.master, key, wrappingContext(id)), created_at: now });
      const email = this.emailOf(i);
      // The columns sign-up writes (src/accounts/service.ts): the email sealed, found by its blind index.
      batch.accounts.push({
        id,
        status: 'active',
        email_lookup: hmac(this.keys.lookup, 'email', email),
        phone_lookup: null,
        email_sealed: this.profiles.seal(key, id, 'email', email),
        phone_sealed: null,
        name_sealed: null,
        password_hash: this.passwordHash,
        role: 'user',
        locale: 'en',
        created_at: createdAt,
        updated_at: createdAt,
        password_changed_at: createdAt,
      });
      batch.sessions.push(this.session(key, id, uuidv7(), sha256(this.tokenOf(i)), 'api', now, now + 30 * DAY));
      for (let d = 0; d < this.devicesPerAccount; d++) {
        const index = i * this.devicesPerAccount + d;
        const serial = this.serialOf(index);
        const deviceId = uuidv7();
        const sessionId = uuidv7();
        const lookup = hmac(this.keys.lookup, 'serial', serial.trim().toUpperCase());
        const [model, kind] = MODELS[index % MODELS.length]!;
        const linkedAt = createdAt + d * DAY;
        batch.devices.push({
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
          name_sealed: sealText(key, `${model} ${d + 1}`, deviceNameContext(id, deviceId)),
        });
        batch.sessions.push(
          this.session(key, id, sessionId, sha256(`${this.salt}/device/${index}`), 'device', now, now + 3650 * DAY),
        );
        batch.device_locks.push({ lookup, kind: 'serial', account_id: id, device_id: deviceId, locked_at: linkedAt });
      }
      key.fill(0);
    }
    return batch;
  }

  private session(
    key: Buffer,
    accountId: string,
    id: string,
    tokenHash: string,
    kind: 'api' | 'device',
    now: number,
    expiresAt: number,
  ): Row {
    return {
      account_id: accountId,
      id,
      token_hash: tokenHash,
      kind,
      created_at: now,
      last_used_at: now,
      expires_at: expiresAt,
      reauthenticated_at: now,
      origin_sealed: sealText(key, SEED_ORIGIN, originContext(accountId, id)),
    };
  }

  async close(): Promise<void> {
    await this.writer.close();
    this.keyRing.close();
  }
}
