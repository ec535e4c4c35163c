// The database the server under test runs on, opened beside it to watch what it does (bench/deletion.ts and
// bench/scale.ts): the erasures' progress, what is left of an account, and PostgreSQL's sequential scans.
import SqliteDatabase from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import type { BenchDialect } from './fresh-server.js';

/** Reads the database the server runs on: the erasure's progress and what is left of an account. */
export class ServerDatabase {
  private constructor(
    private readonly sqlite: SqliteDatabase.Database | undefined,
    private readonly client: pg.Client | undefined,
  ) {}

  static async open(database: BenchDialect, dataDir: string, pgUrl: string | undefined): Promise<ServerDatabase> {
    if (database === 'sqlite') {
      // Read-only and idle between statements: it never holds the WAL against the erasure's checkpoint.
      const sqlite = new SqliteDatabase(path.join(dataDir, 'lanyard.db'), { readonly: true, fileMustExist: true });
      sqlite.pragma('busy_timeout = 5000');
      return new ServerDatabase(sqlite, undefined);
    }
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    return new ServerDatabase(undefined, client);
  }

  /** `?` placeholders on both databases. */
  async all<T>(query: string, params: unknown[] = []): Promise<T[]> {
    if (this.sqlite) return this.sqlite.prepare(query).all(...params) as T[];
    let n = 0;
    const result = await this.client!.query(
      query.replace(/\?/g, () => `$${++n}`),
      params,
    );
    return result.rows as T[];
  }

  /** Tables with an account_id column (and accounts itself, by id): wherever an account's rows can be. */
  async accountTables(): Promise<Array<{ table: string; column: string }>> {
    const tables = await this.all<{ t: string }>(
      this.sqlite
        ? `SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) c
           WHERE m.type = 'table' AND c.name = 'account_id'`
        : `SELECT table_name AS t FROM information_schema.columns
           WHERE table_schema = current_schema() AND column_name = 'account_id'`,
    );
    return [
      { table: 'accounts', column: 'id' },
      ...tables.map((r) => ({ table: r.t, column: 'account_id' })).sort((a, b) => a.table.localeCompare(b.table)),
    ];
  }

  /** The account's rows per table, leaving out tables where it has none. */
  async rowsOf(accountId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { table, column } of await this.accountTables()) {
      const [row] = await this.all<{ n: number | string }>(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`, [
        accountId,
      ]);
      const n = Number(row?.n ?? 0);
      if (n > 0) counts[table] = n;
    }
    return counts;
  }

  /** Whether the erasure of the account with this tombstone hash is erased with its job chain ended. */
  async erased(hash: string): Promise<boolean> {
    const [row] = await this.all<{ status: string; job_id: string | null }>(
      'SELECT status, job_id FROM erasures WHERE account_hash = ?',
      [hash],
    );
    return row?.status === 'erased' && row.job_id === null;
  }

  /**
   * PostgreSQL only: sequential scans per table so far, and the rows they read (pg_stat_user_tables). A
   * step's difference shows any query that scans instead of using an index.
   */
  async seqScans(): Promise<Record<string, { scans: number; rows: number }> | undefined> {
    if (!this.client) return undefined;
    // The statistics of this backend's and others' finished transactions, not a snapshot from before them.
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ relname: string; seq_scan: string; seq_tup_read: string }>(
      'SELECT relname, seq_scan, seq_tup_read FROM pg_stat_user_tables',
    );
    return Object.fromEntries(
      rows.map((row) => [row.relname, { scans: Number(row.seq_scan), rows: Number(row.seq_tup_read) }]),
    );
  }

  async close(): Promise<void> {
    this.sqlite?.close();
    await this.client?.end();
  }
}
