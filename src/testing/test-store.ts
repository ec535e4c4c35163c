import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { TEST_POSTGRES_URL, type TestDatabase } from './test-app.js';

/**
 * A migrated database that outlives its connections: a SQLite file in a temporary folder, or a
 * PostgreSQL schema of its own. Each connect() is another connection (pool), as another process would
 * open, so tests can restart a "process" or run two workers against the same rows.
 */
export interface TestStore {
  readonly database: TestDatabase;
  readonly dataDir: string;
  /** Where createTestApp should find this store again. */
  readonly appOptions: { database: TestDatabase; dataDir: string; sqlitePath?: string; pgSchema?: string };
  connect(): DatabaseHandle;
  /** Runs SQL as an outside client (PostgreSQL only): to hold row locks the way another worker would. */
  adminClient(): Promise<pg.Client>;
  close(): Promise<void>;
}

/** Creates and migrates a store that survives its connections being closed. */
export async function createTestStore(database: TestDatabase): Promise<TestStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-store-'));
  const sqlitePath = path.join(dataDir, 'lanyard.db');
  const schema = `test_store_${randomBytes(6).toString('hex')}`;
  const clients: pg.Client[] = [];
  const handles: DatabaseHandle[] = [];

  const adminClient = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
    // A session the server ends (a test's timeout) must fail that test's query, not crash the run.
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };
  const connect = (): DatabaseHandle => {
    const handle =
      database === 'postgres'
        ? openDatabase({ url: TEST_POSTGRES_URL, pgSchema: schema, poolSize: 5 })
        : openDatabase({ sqlitePath });
    let closed = false;
    const once: DatabaseHandle = {
      ...handle,
      close: async () => {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
    handles.push(once);
    return once;
  };

  if (database === 'postgres') await (await adminClient()).query(`CREATE SCHEMA ${schema}`);
  const first = connect();
  await migrateToLatest(first.db);
  await first.close();

  return {
    database,
    dataDir,
    appOptions: database === 'postgres' ? { database, dataDir, pgSchema: schema } : { database, dataDir, sqlitePath },
    connect,
    adminClient,
    async close() {
      for (const handle of handles) await handle.close();
      if (database === 'postgres') await clients[0]!.query(`DROP SCHEMA ${schema} CASCADE`);
      for (const client of clients) await client.end().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
