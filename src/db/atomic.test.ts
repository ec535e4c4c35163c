import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases } from '../testing/test-app.js';
import { createTestStore, type TestStore } from '../testing/test-store.js';
import type { DatabaseHandle } from './database.js';
import { writeAtomically } from './atomic.js';

const event = (accountId: string, id: string) => ({
  account_id: accountId,
  id,
  type: 'sign_in',
  at: 1,
  origin_sealed: null,
  detail_sealed: null,
});

for (const database of testDatabases()) {
  describe(`writeAtomically (${database})`, () => {
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

    type Event = Omit<ReturnType<typeof event>, 'origin_sealed'> & { origin_sealed: string | null };
    type Client = { account_id: string; client_lookup: string; first_seen_at: number };
    // Two events and a known client, written together.
    const twoEventsAndAClient = (values: { first: Event; second: Event; client: Client }) =>
      writeAtomically(handle.db, handle.dialect, [
        handle.db.insertInto('security_events').values(values.first),
        handle.db.insertInto('security_events').values(values.second),
        handle.db.insertInto('known_clients').values(values.client),
      ]);

    test('applies every write, each run with its own values', async () => {
      await twoEventsAndAClient({
        first: event('acct-a', 'e1'),
        second: event('acct-a', 'e2'),
        client: { account_id: 'acct-a', client_lookup: 'c1', first_seen_at: 1 },
      });
      await twoEventsAndAClient({
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
      await twoEventsAndAClient({
        first: event('acct-b', 'taken'),
        second: event('acct-b', 'other'),
        client: { account_id: 'acct-b', client_lookup: 'c1', first_seen_at: 1 },
      });
      await assert.rejects(
        twoEventsAndAClient({
          first: event('acct-b', 'fresh'),
          second: event('acct-b', 'fresh-too'),
          // The same primary key again: this write fails, and the ones before it must not stay.
          client: { account_id: 'acct-b', client_lookup: 'c1', first_seen_at: 2 },
        }),
      );
      assert.deepEqual(await eventsOf('acct-b'), [{ id: 'other' }, { id: 'taken' }]);
    });
  });
}
