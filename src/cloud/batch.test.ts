import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import type { Api } from '../testing/api-types.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';

/** Every item these tests write holds an object; notes hold their text. */
type SyncedItem = Api<'Item'> & { data: { text?: string } };
type Outcome = Api<'BatchResult'>['results'][number];

const QUOTA = 200_000;

for (const database of testDatabases()) {
  describe(`cloud batch sync (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: { LANYARD_QUOTA_BYTES: String(QUOTA) } });
    });
    after(async () => t.close());

    const batch = <T = Api<'BatchResult'>>(who: TestAccount | string, collection: string, body: unknown) =>
      t.request<T>('POST', `/v1/cloud/${collection}/batch`, { token: typeof who === 'string' ? who : who.token, body });
    const get = <T = Api<'Item'>>(who: TestAccount, path: string) =>
      t.request<T>('GET', `/v1/cloud/${path}`, { token: who.token });
    const summary = async (who: TestAccount) =>
      (await t.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: who.token })).body;

    async function syncAll(who: TestAccount, collection: string, since?: string) {
      const items: SyncedItem[] = [];
      const deleted: string[] = [];
      let cursor = since;
      for (;;) {
        const page = await get<Omit<Api<'Changes'>, 'items'> & { items: SyncedItem[] }>(
          who,
          `${collection}?${cursor ? `since=${cursor}` : ''}`,
        );
        assert.equal(page.status, 200, page.text);
        items.push(...page.body.items);
        deleted.push(...page.body.deleted);
        cursor = page.body.cursor;
        if (!page.body.hasMore) return { items, deleted, cursor: cursor! };
      }
    }

    test('a device uploads a thousand contacts in one request; each reads back, sealed like a single put', async () => {
      const ana = await t.signUp();
      const phone = await linkDevice(t, ana);
      const ops = Array.from({ length: 1000 }, (_, i) => ({
        op: 'put',
        id: `c${i}`,
        data: { name: `Contact ${i}`, phone: `+3460000${i}` },
      }));
      const answer = await batch(phone.token, 'contacts', { ops });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.results.length, 1000);
      assert.deepEqual(answer.body.results[0], {
        id: 'c0',
        status: 200,
        version: 1,
        updatedAt: new Date(t.clock.now()).toISOString(),
      });
      assert.ok(answer.body.results.every((r: Outcome) => r.status === 200 && r.version === 1));
      const one = await get(ana, 'contacts/c517');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.data, { name: 'Contact 517', phone: '+3460000517' });
      const all = await syncAll(ana, 'contacts');
      assert.equal(all.items.length, 1000);
      assert.deepEqual(
        all.items.map((i) => i.id),
        ops.map((o) => o.id),
      );
      assert.equal(all.cursor, answer.body.cursor, 'the batch cursor is where a full sync ends');
      assert.equal((await summary(ana)).collections.contacts.count, 1000);
      // Sealed at rest: the stored body is not the JSON.
      const row = await t.app.database.db
        .selectFrom('cloud_items')
        .select('body')
        .where('account_id', '=', ana.id)
        .where('item_id', '=', 'c517')
        .executeTakeFirstOrThrow();
      assert.ok(!row.body!.includes('Contact 517'));
    });

    test('delta sync after a batch returns exactly its changes, and from its cursor nothing', async () => {
      const ana = await t.signUp();
      const seeded = await batch(ana, 'notes', {
        ops: ['a', 'b', 'c', 'd'].map((id) => ({ op: 'put', id, data: { text: id } })),
      });
      const before = seeded.body.cursor;
      const changed = await batch(ana, 'notes', {
        since: before,
        ops: [
          { op: 'put', id: 'a', data: { text: 'a, edited' }, ifMatch: 1 },
          { op: 'delete', id: 'b' },
          { op: 'put', id: 'e', data: { text: 'new' } },
          { op: 'put', id: 'e', data: { text: 'new, twice' }, ifMatch: 1 },
          { op: 'delete', id: 'never-was' },
        ],
      });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(
        changed.body.results.map((r: Outcome) => [r.id, r.status, r.version]),
        [
          ['a', 200, 2],
          ['b', 204, 2],
          ['e', 200, 1],
          ['e', 200, 2],
          ['never-was', 204, undefined],
        ],
      );
      const delta = await syncAll(ana, 'notes', before);
      assert.deepEqual(
        delta.items.map((i) => [i.id, i.version, i.data.text]),
        [
          ['a', 2, 'a, edited'],
          ['e', 2, 'new, twice'],
        ],
      );
      assert.deepEqual(delta.deleted, ['b']);
      assert.equal(delta.cursor, changed.body.cursor);
      const after = await syncAll(ana, 'notes', changed.body.cursor);
      assert.deepEqual([after.items, after.deleted], [[], []]);
    });

    test('the cursor stays at since when another device changed the collection meanwhile, so that its change is not skipped', async () => {
      const ana = await t.signUp();
      const first = await batch(ana, 'contacts', { ops: [{ op: 'put', id: 'x', data: { n: 1 } }] });
      const other = await t.request('PUT', '/v1/cloud/contacts/from-tablet', { token: ana.token, body: { n: 2 } });
      assert.equal(other.status, 200);
      const second = await batch(ana, 'contacts', {
        since: first.body.cursor,
        ops: [{ op: 'put', id: 'y', data: { n: 3 } }],
      });
      assert.equal(second.body.cursor, first.body.cursor);
      const delta = await syncAll(ana, 'contacts', second.body.cursor);
      assert.deepEqual(
        delta.items.map((i) => i.id),
        ['from-tablet', 'y'],
      );
      const forged = await batch<Api<'Problem'>>(ana, 'contacts', {
        since: 'AAAA',
        ops: [{ op: 'put', id: 'z', data: {} }],
      });
      assert.equal(forged.status, 400);
      assert.equal(forged.body.code, 'cursor_invalid');
      assert.equal((await get(ana, 'contacts/z')).status, 404);
    });

    test('a stale ifMatch is a 409 with the current version, and the rest of the batch is written', async () => {
      const ana = await t.signUp();
      await batch(ana, 'contacts', { ops: [{ op: 'put', id: 'k', data: { v: 1 } }] });
      await batch(ana, 'contacts', { ops: [{ op: 'put', id: 'k', data: { v: 2 } }] });
      const answer = await batch(ana, 'contacts', {
        ops: [
          { op: 'put', id: 'k', data: { v: 'stale' }, ifMatch: 1 },
          { op: 'delete', id: 'k', ifMatch: 1 },
          { op: 'put', id: 'gone', data: {}, ifMatch: '*' },
          { op: 'put', id: 'fine', data: { ok: true } },
        ],
      });
      assert.equal(answer.status, 200);
      const [stale, staleDelete, missing, fine] = answer.body.results;
      assert.ok(stale && staleDelete && missing && fine);
      assert.deepEqual([stale.status, stale.code, stale.version], [409, 'conflict', 2]);
      assert.deepEqual([staleDelete.status, staleDelete.version], [409, 2]);
      assert.deepEqual([missing.status, missing.code, missing.version], [409, 'conflict', undefined]);
      assert.deepEqual([fine.status, fine.version], [200, 1]);
      assert.deepEqual((await get(ana, 'contacts/k')).body.data, { v: 2 });
      assert.equal((await get(ana, 'contacts/gone')).status, 404);
      const matching = await batch(ana, 'contacts', { ops: [{ op: 'put', id: 'k', data: { v: 3 }, ifMatch: 2 }] });
      assert.deepEqual([matching.body.results[0]?.status, matching.body.results[0]?.version], [200, 3]);
    });

    test('invalid operations get a 400 result each and are not written; the valid ones are', async () => {
      const ana = await t.signUp();
      const answer = await batch(ana, 'notes', {
        ops: [
          { op: 'put', id: 'ok', data: { text: 'fine' } },
          { op: 'upsert', id: 'bad-op', data: {} },
          { op: 'put', id: 'has/slash', data: {} },
          { op: 'put', id: 'no-data' },
          { op: 'put', id: 'huge', data: { text: 'x'.repeat(70_000) } },
          { op: 'delete', id: 'extra', data: {} },
          { op: 'put', id: 'bad-if', data: {}, ifMatch: 0 },
          'not an object',
          { op: 'put', data: {} },
        ],
      });
      assert.equal(answer.status, 200, answer.text);
      const results: Outcome[] = answer.body.results;
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 400, 400, 400, 400, 400, 400, 400, 400],
      );
      assert.deepEqual(
        results.map((r) => r.id),
        ['ok', 'bad-op', 'has/slash', 'no-data', 'huge', 'extra', 'bad-if', '', ''],
      );
      assert.equal(results[4]!.code, 'payload_too_large');
      for (const r of results.slice(1)) if (r.id !== 'huge') assert.equal(r.code, 'validation_failed');
      for (const r of results.slice(1)) assert.equal(typeof r.detail, 'string');
      const all = await syncAll(ana, 'notes');
      assert.deepEqual(
        all.items.map((i) => i.id),
        ['ok'],
      );
    });

    test('limits: at most 1,000 operations and 8 MiB, JSON collections only, a session needed', async () => {
      const ana = await t.signUp();
      const tooMany = await batch<Api<'Problem'>>(ana, 'contacts', {
        ops: Array.from({ length: 1001 }, (_, i) => ({ op: 'delete', id: `d${i}` })),
      });
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.code, 'validation_failed');
      const empty = await batch(ana, 'contacts', { ops: [] });
      assert.equal(empty.status, 400);
      const big = 'x'.repeat(60_000);
      const tooLarge = await batch<Api<'Problem'>>(ana, 'contacts', {
        ops: Array.from({ length: 150 }, (_, i) => ({ op: 'put', id: `b${i}`, data: big })),
      });
      assert.equal(tooLarge.status, 413);
      assert.equal(tooLarge.body.code, 'payload_too_large');
      // Past the server's 64 KiB for other JSON bodies, just under 8 MiB is read: here 110 items too large to store.
      const nearLimit = await batch(ana, 'contacts', {
        ops: Array.from({ length: 110 }, (_, i) => ({ op: 'put', id: `n${i}`, data: 'z'.repeat(70_000) })),
      });
      assert.equal(nearLimit.status, 200, nearLimit.text.slice(0, 200));
      assert.ok(nearLimit.body.results.every((r: Outcome) => r.status === 400 && r.code === 'payload_too_large'));
      const photos = await batch<Api<'Problem'>>(ana, 'photos', { ops: [{ op: 'delete', id: 'p' }] });
      assert.equal(photos.status, 400);
      assert.equal(photos.body.code, 'validation_failed');
      const anonymous = await t.request('POST', '/v1/cloud/contacts/batch', {
        body: { ops: [{ op: 'delete', id: 'x' }] },
      });
      assert.equal(anonymous.status, 401);
      const unknownField = await batch(ana, 'contacts', { ops: [{ op: 'delete', id: 'x' }], extra: true });
      assert.equal(unknownField.status, 400);
    });

    test('a batch that would pass the quota is refused whole; deletes in the same batch make room', async () => {
      const ana = await t.signUp();
      const chunk = 'y'.repeat(40_000);
      const filled = await batch(ana, 'app-data', {
        ops: [1, 2, 3, 4].map((i) => ({ op: 'put', id: `f${i}`, data: chunk })),
      });
      assert.equal(filled.status, 200, filled.text);
      const usedBefore = (await summary(ana)).usedBytes;
      const over = await batch<Api<'Problem'>>(ana, 'app-data', {
        ops: [
          { op: 'put', id: 'small', data: 'fits' },
          { op: 'put', id: 'f5', data: chunk },
        ],
      });
      assert.equal(over.status, 413);
      assert.equal(over.body.code, 'quota_exceeded');
      assert.equal((await get(ana, 'app-data/small')).status, 404, 'nothing of a refused batch is written');
      assert.equal((await summary(ana)).usedBytes, usedBefore);
      const swapped = await batch(ana, 'app-data', {
        ops: [
          { op: 'delete', id: 'f1' },
          { op: 'put', id: 'f5', data: chunk },
        ],
      });
      assert.equal(swapped.status, 200, swapped.text);
      assert.deepEqual(
        swapped.body.results.map((r: Outcome) => r.status),
        [204, 200],
      );
      assert.equal((await summary(ana)).usedBytes, usedBefore);
    });

    test("one account's batch cannot touch another's items", async () => {
      const ana = await t.signUp();
      const bob = await t.signUp();
      await batch(ana, 'contacts', { ops: [{ op: 'put', id: 'shared-id', data: { owner: 'ana' } }] });
      const bobs = await batch(bob, 'contacts', {
        ops: [
          { op: 'delete', id: 'shared-id', ifMatch: '*' },
          { op: 'put', id: 'shared-id', data: { owner: 'bob' } },
        ],
      });
      assert.deepEqual(
        bobs.body.results.map((r: Outcome) => [r.status, r.version]),
        [
          [409, undefined],
          [200, 1],
        ],
      );
      assert.deepEqual((await get(ana, 'contacts/shared-id')).body.data, { owner: 'ana' });
      assert.deepEqual((await get(bob, 'contacts/shared-id')).body.data, { owner: 'bob' });
    });
  });
}
