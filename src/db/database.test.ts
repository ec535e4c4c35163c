import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { testDatabases } from '../testing/test-app.js';
import { createTestSchema, dropTestSchema, TEST_POSTGRES_URL } from '../testing/pg-schema.js';
import { withNamedStatements } from './database.js';

// The named statements are PostgreSQL's; SQLite keeps its prepared statements in withStatementCache.
if (testDatabases().includes('postgres')) {
  describe('named statements on PostgreSQL', () => {
    const schema = `test_named_${process.pid}`;
    let pool: pg.Pool;
    let db: Kysely<{ notes: { id: string; body: string } }>;
    // One connection, so that every query below runs on the backend whose prepared statements are read.
    const prepared = async () =>
      (
        await sql<{
          name: string;
          statement: string;
        }>`select name, statement from pg_prepared_statements order by name`.execute(db)
      ).rows;

    before(async () => {
      await createTestSchema(schema);
      pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1, options: `-c search_path=${schema}` });
      db = new Kysely({ dialect: new PostgresDialect({ pool: withNamedStatements(pool, 2) }) });
      await db.schema
        .createTable('notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text')
        .execute();
      await db
        .insertInto('notes')
        .values([
          { id: 'a', body: 'first' },
          { id: 'b', body: 'second' },
        ])
        .execute();
    });
    after(async () => {
      await db.destroy();
      await dropTestSchema(schema);
    });

    test('a statement with parameters is prepared once per connection and answers each run with its own values', async () => {
      const byId = (id: string) => db.selectFrom('notes').select('body').where('id', '=', id).executeTakeFirst();
      assert.deepEqual(await byId('a'), { body: 'first' });
      assert.deepEqual(await byId('b'), { body: 'second' });
      assert.equal(await byId('missing'), undefined);
      const statements = (await prepared()).filter((s) => s.statement.includes('from "notes" where "id" = $1'));
      assert.equal(statements.length, 1, 'the same text is prepared once, not per run');
    });

    test('past the bound, further texts run unnamed and still answer', async () => {
      // The bound is 2: the insert above and the select of the first test took both names.
      const bodies = await db.selectFrom('notes').select('id').where('body', '=', 'second').execute();
      assert.deepEqual(bodies, [{ id: 'b' }]);
      const names = (await prepared()).map((s) => s.name);
      assert.deepEqual(names, ['lanyard_0', 'lanyard_1']);
    });

    test('a transaction and its failed statement leave the connection usable', async () => {
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('notes').values({ id: 'c', body: 'third' }).execute();
          await trx.insertInto('notes').values({ id: 'c', body: 'again' }).execute();
        }),
        /duplicate key/,
      );
      const rows = await db.selectFrom('notes').select('id').where('id', '=', 'c').execute();
      assert.deepEqual(rows, [], 'the rolled-back insert left nothing');
      await db.insertInto('notes').values({ id: 'c', body: 'third' }).execute();
      assert.deepEqual(await db.selectFrom('notes').select('body').where('id', '=', 'c').executeTakeFirst(), {
        body: 'third',
      });
    });
  });
}
