import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase as SqliteDialectDatabase,
} from 'kysely';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Database, Db } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Db;
  readonly dialect: DialectName;
  /** The SQLite connection, for pragmas such as checkpoints; undefined on PostgreSQL. */
  readonly sqlite: SqliteDatabase.Database | undefined;
  /**
   * On SQLite, a read-only connection of its own for the reads of every authenticated request (see
   * SessionRepository): they need not queue behind Kysely's one connection, and in WAL mode it sees
   * committed data only. An in-memory database has no second connection: there it is `sqlite` itself.
   */
  readonly sqliteReader: SqliteDatabase.Database | undefined;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…`; when absent, SQLite at `sqlitePath`. */
  url?: string | undefined;
  /** A file path, or ':memory:'. */
  sqlitePath?: string;
  /** PostgreSQL schema to use (tests give each app its own). */
  pgSchema?: string;
  poolSize?: number;
}

// Prepared statements kept per connection, on either database (see below).
const STATEMENT_CACHE_SIZE = 500;

type PgModule = typeof import('pg');

// pg returns bigint (int8) as a string to be safe with values past 2^53; our bigints are epoch
// milliseconds and counters, far below that, so read them as numbers.
const pgTypes = (pg: PgModule) => ({
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
});

/**
 * Rewrites a SQLite file page by page and empties its WAL, so that no old bytes stay in the unused parts
 * of pages (secure_delete does not reach the gap a b-tree balance leaves). Holds writers back meanwhile.
 */
export function vacuumSqlite(sqlite: SqliteDatabase.Database): void {
  sqlite.exec('VACUUM');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
}

/**
 * Makes the SQLite file readable by its owner only (0600), creating it so before SQLite does: SQLite
 * gives the -wal and -shm files it creates the mode of the database file, so they are 0600 too. A file
 * (or -wal, -shm) left by an older version with looser rights is tightened.
 */
function restrictToOwner(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(name)) fs.chmodSync(name, 0o600);
  }
}

/** Opens SQLite (the embedded default) or PostgreSQL, configured for durability. */
export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.url) {
    // The PostgreSQL driver loads only when PostgreSQL is configured.
    const pg = createRequire(import.meta.url)('pg') as PgModule;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      types: pgTypes(pg),
      ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
    });
    // An idle client's error (the server restarting) must not crash the process; the next query retries.
    pool.on('error', () => {});
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: withNamedStatements(pool, STATEMENT_CACHE_SIZE) }),
    });
    return { db, dialect: 'postgres', sqlite: undefined, sqliteReader: undefined, close: () => db.destroy() };
  }

  const file = options.sqlitePath ?? ':memory:';
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    restrictToOwner(file);
  }
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed change (a deletion, a consumed code) must survive a power cut.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // Overwrite deleted content instead of leaving it in free pages.
  sqlite.pragma('secure_delete = ON');
  // better-sqlite3 builds SQLite with a 16 MB page cache, which fills and stays: 16 MiB of the server's
  // memory, copying pages the kernel caches anyway (point lookups in a 113 MB database ran as fast with 4 MB).
  sqlite.pragma('cache_size = -4000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // Opened after the main connection, which has made the file a WAL database.
  const reader = file === ':memory:' ? sqlite : new SqliteDatabase(file, { readonly: true });
  if (reader !== sqlite) {
    reader.pragma('busy_timeout = 5000');
    reader.pragma('cache_size = -4000');
  }
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    sqliteReader: reader,
    close: async () => {
      if (reader !== sqlite) reader.close();
      await db.destroy();
    },
  };
}

/**
 * PostgreSQL parses and plans an unnamed statement at every execution; a named one is parsed once per
 * connection and, after a few runs, keeps its plan (a third less database CPU per sign-in). Each SQL text
 * that has parameters gets a name; past the bound, further texts run unnamed, so that no connection
 * holds an unbounded number of prepared statements. Texts without parameters (BEGIN, DDL) stay unnamed.
 */
export function withNamedStatements(pool: import('pg').Pool, bound: number): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < bound) {
      name = `lanyard_${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  // Kysely keeps its connection object per client, so each client keeps one wrapper.
  const wrappers = new WeakMap<import('pg').PoolClient, PostgresPoolClient>();
  const wrap = (client: import('pg').PoolClient): PostgresPoolClient => {
    const query = (textOrCursor: string | object, values?: unknown[]) => {
      if (typeof textOrCursor !== 'string') return client.query(textOrCursor as never);
      const name = values && values.length > 0 ? nameOf(textOrCursor) : undefined;
      return name === undefined
        ? client.query(textOrCursor, values)
        : client.query({ name, text: textOrCursor, values });
    };
    return { query: query as unknown as PostgresPoolClient['query'], release: () => client.release() };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) wrappers.set(client, (wrapper = wrap(client)));
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * Kysely prepares every query anew, and preparing a statement costs several times what running a
 * point lookup does (about 45 µs against 9 µs for the session lookup), so statements are kept by their
 * SQL text. Our queries come from a fixed set of shapes; the bound only guards against unforeseen ones.
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDialectDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      // A statement still being iterated (a streamed query) cannot run again until it is done.
      if (statement === undefined || statement.busy) {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
