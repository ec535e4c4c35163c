import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { Database } from './schema.js';
import { QueryTemplate } from './query-template.js';

// Compiles only: no database behind it (the templates' runs are tested in atomic.test.ts, on both).
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

describe('QueryTemplate', () => {
  test("puts each run's values where its slots are, in the order the SQL wants them", () => {
    const template = QueryTemplate.compile((slot) =>
      db
        .selectFrom('accounts')
        .select('id')
        .where('email_lookup', '=', slot('login'))
        .where('status', '=', slot('status'))
        .where('id', '!=', slot('login')),
    );
    const first = template.with({ login: 'a', status: 'active' });
    assert.match(first.sql, /"email_lookup" = \? and "status" = \? and "id" != \?/);
    assert.deepEqual(first.parameters, ['a', 'active', 'a']);
    assert.deepEqual(template.with({ login: 'b', status: 'erasing' }).parameters, ['b', 'erasing', 'b']);
    assert.deepEqual(first.parameters, ['a', 'active', 'a'], 'an earlier run is not changed by a later one');
  });

  test('fills a row of slots from an object per group', () => {
    const template = QueryTemplate.compile((slot) =>
      db
        .insertInto('known_clients')
        .values(QueryTemplate.rowOf(slot, 'client', ['account_id', 'client_lookup', 'first_seen_at'] as const)),
    );
    const query = template.with({ client: { account_id: 'acct', client_lookup: 'c', first_seen_at: 5 } });
    assert.deepEqual(query.parameters, ['acct', 'c', 5]);
    assert.throws(
      () => template.with({ client: { account_id: 'acct', client_lookup: 'c' } }),
      /do not match the template's 3 slots/,
    );
    assert.throws(
      () => template.with({ client: { account_id: 'acct', client_lookup: 'c', first_seen_at: 5, extra: 1 } }),
      /do not match/,
    );
    assert.throws(() => template.with({}), /do not match/);
  });

  test('refuses a value written into the builder, which would be frozen into every run', () => {
    assert.throws(
      () =>
        QueryTemplate.compile((slot) =>
          db.selectFrom('accounts').select('id').where('id', '=', slot('id')).where('status', '=', 'active'),
        ),
      /not in a slot: "active"/,
    );
  });

  test('refuses a run without a value for a slot, instead of writing NULL', () => {
    const template = QueryTemplate.compile((slot) =>
      db.selectFrom('accounts').select('id').where('id', '=', slot('id')),
    );
    assert.throws(() => template.with({}), /no value for the slot id/);
    assert.deepEqual(template.with({ id: null }).parameters, [null]);
  });
});
