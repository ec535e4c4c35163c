import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testDatabases } from '../testing/test-app.js';
import { createTestStore, type TestStore } from '../testing/test-store.js';
import type { DatabaseHandle } from './database.js';
import { writeAtomically } from './atomic.js';

const event = (accountId: string, id: string) => ({ account_id: accountId, id, type: 'sign_in', at: 1, ip: '192.0.2.1', client: 'test' });

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
          .values({ id, status: 'active', password_hash: 'x', role: 'user', locale: 'en', created_at: 1, updated_at: 1, password_changed_at: 1 })
          .execute();
      }
    });
    after(async () => {
      await handle.close();
      await store.close();
    });

    const eventsOf = (accountId: string) => handle.db.selectFrom('security_events').select('id').where('account_id', '=', accountId).orderBy('id').execute();

    test('applies every write', async () => {
      const { db } = handle;
      await writeAtomically(db, handle.dialect, [
        db.insertInto('security_events').values(event('acct-a', 'e1')),
        db.insertInto('security_events').values(event('acct-a', 'e2')),
        db.insertInto('known_clients').values({ account_id: 'acct-a', client_lookup: 'c1', first_seen_at: 1 }),
      ]);
      assert.deepEqual(await eventsOf('acct-a'), [{ id: 'e1' }, { id: 'e2' }]);
      const clients = await db.selectFrom('known_clients').select('client_lookup').where('account_id', '=', 'acct-a').execute();
      assert.deepEqual(clients, [{ client_lookup: 'c1' }]);
    });

    test('applies none of them when one fails', async () => {
      const { db } = handle;
      await writeAtomically(db, handle.dialect, [db.insertInto('security_events').values(event('acct-b', 'taken'))]);
      await assert.rejects(
        writeAtomically(db, handle.dialect, [
          db.insertInto('security_events').values(event('acct-b', 'fresh')),
          // The same primary key again: this write fails, and the one before it must not stay.
          db.insertInto('security_events').values(event('acct-b', 'taken')),
        ]),
      );
      assert.deepEqual(await eventsOf('acct-b'), [{ id: 'taken' }]);
    });
  });
}
