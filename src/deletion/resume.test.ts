import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { deleteAccount, populate } from './test-helpers.js';

// An erasure runs as a chain of jobs, and a job that took its process down twice is parked, not started a
// third time. The next start gives the erasure a new link, wherever the parked one stopped: also after the
// tombstone, when only the chain's end is left (on SQLite, the WAL checkpoint). The crash tests found an
// erasure left there for good, its job parked and never replaced.
for (const database of testDatabases()) {
  describe(`an erasure whose link was parked is taken up again at start (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t?.close());

    const erasureOf = (hash: string) =>
      t.app.database.db
        .selectFrom('erasures')
        .select(['status', 'steps', 'job_id'])
        .where('account_hash', '=', hash)
        .executeTakeFirstOrThrow();

    test('after its tombstone: the next start ends the chain it left', async () => {
      const { account } = await populate(t, { devices: 1, items: 2, photos: 0 });
      await deleteAccount(t, account);
      const hash = t.app.services.deletion.accountHash(account.id);
      const done = await erasureOf(hash);
      assert.equal(done.status, 'erased');
      assert.equal(done.job_id, null);
      const steps = JSON.parse(done.steps) as string[];
      // As a crash leaves it: the tombstone written, the last step (SQLite: the checkpoint) not yet, and
      // the link that held it parked (gone from the pending jobs).
      const afterTombstone = steps.slice(0, steps.indexOf('finish') + 1);
      await t.app.database.db
        .updateTable('erasures')
        .set({ steps: JSON.stringify(afterTombstone), job_id: randomUUID() })
        .where('account_hash', '=', hash)
        .execute();

      assert.deepEqual(await t.app.services.deletion.reapplyTombstones(), []);
      await t.drainJobs();
      const resumed = await erasureOf(hash);
      assert.equal(resumed.status, 'erased');
      assert.deepEqual(JSON.parse(resumed.steps), steps, 'every step done, in order');
      assert.equal(resumed.job_id, null, 'the chain ended');
    });

    test('a chain that ended is left alone', async () => {
      const { account } = await populate(t, { devices: 0, items: 1, photos: 0 });
      await deleteAccount(t, account);
      const jobs = await t.app.database.db.selectFrom('jobs').select('id').execute();
      assert.deepEqual(await t.app.services.deletion.reapplyTombstones(), []);
      assert.deepEqual(await t.app.database.db.selectFrom('jobs').select('id').execute(), jobs, 'no new job');
    });
  });
}
