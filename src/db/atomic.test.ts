import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases } from '../testing/test-app.js';
import { createTestStore, type TestStore } from '../testing/test-store.js';
import type { DatabaseHandle } from './database.js';
import { AtomicWrites } from './atomic.js';
import { QueryTemplate } from './query-template.js';
import { SECURITY_EVENT_COLUMNS } from '../events/repository.js';

const event = (accountId: string, id: string) => ({
  account_id: accountId,
  id,
  type: 'sign_in',
  at: 1,
  origin_sealed: null,
  detail_sealed: null,
});

for (const database of testDatabases()) {
  describe(`AtomicWrites (${database})`, () => {
    let store: TestStore;
    let handle: DatabaseHandle;
    before(async () => {
      store = await createTestStore(database);
      handle = store.connect();
      for (const id of ['acct-a', 'acct-b']) {
        await handle.db
          .insertInto('accounts')
          .values({
            id,
            status: 'active',
            password_hash: 'x',
            role: 'user',
            locale: 'en',
            created_at: 1,
            updated_at: 1,
            password_changed_at: 1,
          })
          .execute();
      }
    });
    after(async () => {
      await handle.close();
      await store.close();
    });

    const eventsOf = (accountId: string) =>
      handle.db.selectFrom('security_events').select('id').where('account_id', '=', accountId).orderBy('id').execute();

    // Two events and a known client, as the templates of the hot paths are built: every value in a slot.
    const twoEventsAndAClient = () =>
      new AtomicWrites(handle.db, handle.dialect, (slot) => [
        handle.db.insertInto('security_events').values(QueryTemplate.rowOf(slot, 'first', SECURITY_EVENT_COLUMNS)),
        handle.db.insertInto('security_events').values(QueryTemplate.rowOf(slot, 'second', SECURITY_EVENT_COLUMNS)),
        handle.db.insertInto('known_clients').values({
          account_id: slot('client.account_id'),
          client_lookup: slot('client.client_lookup'),
          first_seen_at: slot('client.first_seen_at'),
        }),
      ]);

    test('applies every write, each run with its own values', async () => {
      const writes = twoEventsAndAClient();
      await writes.run({
        first: event('acct-a', 'e1'),
        second: event('acct-a', 'e2'),
        client: { account_id: 'acct-a', client_lookup: 'c1', first_seen_at: 1 },
      });
      await writes.run({
        first: event('acct-a', 'e3'),
        second: { ...event('acct-a', 'e4'), origin_sealed: 'sealed' },
        client: { account_id: 'acct-a', client_lookup: 'c2', first_seen_at: 2 },
      });
      assert.deepEqual(await eventsOf('acct-a'), [{ id: 'e1' }, { id: 'e2' }, { id: 'e3' }, { id: 'e4' }]);
      const sealed = await handle.db
        .selectFrom('security_events')
        .select('origin_sealed')
        .where('id', '=', 'e4')
        .executeTakeFirstOrThrow();
      assert.equal(sealed.origin_sealed, 'sealed');
      const clients = await handle.db
        .selectFrom('known_clients')
        .select(['client_lookup', 'first_seen_at'])
        .where('account_id', '=', 'acct-a')
        .orderBy('client_lookup')
        .execute();
      assert.deepEqual(clients, [
        { client_lookup: 'c1', first_seen_at: 1 },
        { client_lookup: 'c2', first_seen_at: 2 },
      ]);
    });

    test('applies none of them when one fails', async () => {
      await twoEventsAndAClient().run({
        first: event('acct-b', 'taken'),
        second: event('acct-b', 'other'),
        client: { account_id: 'acct-b', client_lookup: 'c1', first_seen_at: 1 },
      });
      await assert.rejects(
        twoEventsAndAClient().run({
          first: event('acct-b', 'fresh'),
          second: event('acct-b', 'fresh-too'),
          // The same primary key again: this write fails, and the ones before it must not stay.
          client: { account_id: 'acct-b', client_lookup: 'c1', first_seen_at: 2 },
        }),
      );
      assert.deepEqual(await eventsOf('acct-b'), [{ id: 'other' }, { id: 'taken' }]);
    });

    test('refuses values that do not fit its slots, and writes nothing', async () => {
      const writes = twoEventsAndAClient();
      const client = { account_id: 'acct-b', client_lookup: 'c9', first_seen_at: 1 };
      // A column the template has no slot for would be dropped silently; a missing one would be NULL.
      await assert.rejects(
        writes.run({ first: { ...event('acct-b', 'x1'), extra: 1 }, second: event('acct-b', 'x2'), client }),
        /do not match/,
      );
      const { origin_sealed: _dropped, ...short } = event('acct-b', 'x3');
      await assert.rejects(writes.run({ first: short, second: event('acct-b', 'x4'), client }), /do not match/);
      await assert.rejects(
        writes.run({ first: { ...event('acct-b', 'x5'), at: undefined }, second: event('acct-b', 'x6'), client }),
        /no value for the slot first\.at/,
      );
      assert.deepEqual(await eventsOf('acct-b'), [{ id: 'other' }, { id: 'taken' }]);
    });
  });
}
