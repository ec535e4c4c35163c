import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from './database.js';
import { migrateToLatest } from './migrate.js';
import { TEST_POSTGRES_URL, testDatabases } from '../testing/test-app.js';

const TABLES = [
  'accounts',
  'jobs',
  'known_clients',
  'security_events',
  'sessions',
  'verification_codes',
  'account_lock_links',
];

async function withFreshDatabase(
  database: 'sqlite' | 'postgres',
  run: (handle: DatabaseHandle) => Promise<void>,
): Promise<void> {
  if (database === 'sqlite') {
    const handle = openDatabase({ sqlitePath: ':memory:' });
    try {
      await run(handle);
    } finally {
      await handle.close();
    }
    return;
  }
  const schema = `migrate_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const handle = openDatabase({ url: TEST_POSTGRES_URL, pgSchema: schema, poolSize: 2 });
  try {
    await run(handle);
  } finally {
    await handle.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

for (const database of testDatabases()) {
  describe(`migrations (${database})`, () => {
    test('run in order on an empty database, then have nothing left to do', async () => {
      await withFreshDatabase(database, async ({ db }) => {
        const first = await migrateToLatest(db);
        assert.ok(first.length >= 1);
        assert.deepEqual([...first].sort(), first, 'migrations are named so that they sort in order');
        const tables = (await db.introspection.getTables()).map((t) => t.name).filter((n) => !n.startsWith('kysely_'));
        for (const table of TABLES) assert.ok(tables.includes(table), `table ${table} exists`);
        assert.deepEqual(await migrateToLatest(db), []);
      });
    });

    test('keep rows written before them and enforce uniqueness of addresses and tokens', async () => {
      await withFreshDatabase(database, async ({ db }) => {
        await migrateToLatest(db);
        const account = {
          id: 'a1',
          status: 'active' as const,
          email_lookup: 'L1',
          phone_lookup: null,
          password_hash: 'h',
          role: 'user' as const,
          locale: 'en',
          created_at: 1,
          updated_at: 1,
          password_changed_at: 1,
        };
        await db.insertInto('accounts').values(account).execute();
        await assert.rejects(
          db
            .insertInto('accounts')
            .values({ ...account, id: 'a2' })
            .execute(),
          'a second account with the same email lookup is refused',
        );
        const session = {
          account_id: 'a1',
          id: 's1',
          token_hash: 'T',
          kind: 'api' as const,
          created_at: 1,
          last_used_at: 1,
          expires_at: 2,
          reauthenticated_at: 1,
        };
        await db.insertInto('sessions').values(session).execute();
        await assert.rejects(
          db
            .insertInto('sessions')
            .values({ ...session, id: 's2' })
            .execute(),
          'token hashes are unique',
        );
        // Deleting an account removes its sessions with it (one range delete per table).
        await db.deleteFrom('accounts').where('id', '=', 'a1').execute();
        const left = await sql<{ n: number }>`select count(*) as n from sessions`.execute(db);
        assert.equal(Number(left.rows[0]!.n), 0);
        assert.deepEqual(await migrateToLatest(db), []);
      });
    });
  });
}
