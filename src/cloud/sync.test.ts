import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import type { Api } from '../testing/api-types.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';

/** A JSON item as GET answers it: its data is the object the client stored. */
type JsonItem = Api<'Item'> & { data: Record<string, unknown> };
/** A page of changes: the items these tests read back are contacts, written with a name. */
type ContactChanges = Omit<Api<'Changes'>, 'items'> & { items: (Api<'Item'> & { data: { name: string } })[] };

for (const database of testDatabases()) {
  describe(`cloud sync (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    const put = <T = Api<'ItemWritten'>>(
      who: TestAccount | string,
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) => t.request<T>('PUT', `/v1/cloud/${path}`, { token: typeof who === 'string' ? who : who.token, body, headers });
    const get = <T = JsonItem>(who: TestAccount | string, path: string) =>
      t.request<T>('GET', `/v1/cloud/${path}`, { token: typeof who === 'string' ? who : who.token });

    /** Follows cursors until hasMore is false; returns every page. */
    async function syncAll(who: TestAccount, collection: string, since?: string, limit?: number) {
      const pages: ContactChanges[] = [];
      let cursor = since;
      for (;;) {
        const query = new URLSearchParams();
        if (cursor) query.set('since', cursor);
        if (limit) query.set('limit', String(limit));
        const page = await get<ContactChanges>(who, `${collection}?${query}`);
        assert.equal(page.status, 200, page.text);
        pages.push(page.body);
        cursor = page.body.cursor;
        if (!page.body.hasMore)
          return {
            pages,
            cursor: cursor!,
            items: pages.flatMap((p) => p.items),
            deleted: pages.flatMap((p) => p.deleted),
          };
      }
    }

    test('a note round-trips: created at version 1, replaced at version 2, read back with its data and ETag', async () => {
      const ana = await t.signUp();
      const created = await put(ana, 'notes/shopping', { title: 'Shopping', text: 'milk, bread' });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(Object.keys(created.body).sort(), ['id', 'updatedAt', 'version']);
      assert.equal(created.body.id, 'shopping');
      assert.equal(created.body.version, 1);
      const replaced = await put(ana, 'notes/shopping', { title: 'Shopping', text: 'milk, bread, eggs' });
      assert.equal(replaced.body.version, 2);
      const read = await get(ana, 'notes/shopping');
      assert.equal(read.status, 200);
      assert.equal(read.headers.etag, '"2"');
      assert.deepEqual(read.body.data, { title: 'Shopping', text: 'milk, bread, eggs' });
      assert.equal(read.body.version, 2);
      assert.equal(read.body.updatedAt, new Date(t.clock.now()).toISOString());
    });

    test('delta sync pages through everything, then returns only what changed and what was deleted', async () => {
      const ana = await t.signUp();
      for (let i = 0; i < 7; i++)
        assert.equal((await put(ana, `contacts/c${i}`, { name: `Contact ${i}` })).status, 200);
      const first = await syncAll(ana, 'contacts', undefined, 3);
      assert.equal(first.pages.length, 3);
      assert.deepEqual(
        first.pages.map((p) => p.items.length),
        [3, 3, 1],
      );
      assert.deepEqual(
        first.items.map((i) => i.id),
        ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'],
      );
      assert.deepEqual(first.items[4]!.data, { name: 'Contact 4' });
      assert.deepEqual(first.deleted, []);

      assert.equal((await put(ana, 'contacts/c2', { name: 'Contact 2, renamed' })).status, 200);
      assert.equal((await t.request('DELETE', '/v1/cloud/contacts/c5', { token: ana.token })).status, 204);
      assert.equal((await put(ana, 'contacts/c7', { name: 'Contact 7' })).status, 200);
      const delta = await syncAll(ana, 'contacts', first.cursor);
      assert.deepEqual(
        delta.items.map((i) => [i.id, i.version, i.data.name]),
        [
          ['c2', 2, 'Contact 2, renamed'],
          ['c7', 1, 'Contact 7'],
        ],
      );
      assert.deepEqual(delta.deleted, ['c5']);

      const nothing = await get<Api<'Changes'>>(ana, `contacts?since=${delta.cursor}`);
      assert.deepEqual(nothing.body.items, []);
      assert.deepEqual(nothing.body.deleted, []);
      assert.equal(nothing.body.hasMore, false);
      assert.equal(nothing.body.cursor, delta.cursor, 'an empty delta keeps the position');

      // A device that never synced gets the live items only: the deleted one appears once, as deleted.
      const fresh = await syncAll(ana, 'contacts');
      assert.equal(fresh.items.length, 7);
      assert.deepEqual(fresh.deleted, ['c5']);
    });

    test('collections are synced apart: a note change does not show up in the contacts delta', async () => {
      const ana = await t.signUp();
      await put(ana, 'contacts/x', { n: 1 });
      const { cursor } = await syncAll(ana, 'contacts');
      await put(ana, 'notes/x', { n: 2 });
      await put(ana, 'app-data/com.example.game', { level: 12 });
      await put(ana, 'messages/m1', { from: '+34600000000', text: 'hi' });
      const delta = await get<Api<'Changes'>>(ana, `contacts?since=${cursor}`);
      assert.deepEqual(delta.body.items, []);
      assert.equal((await get(ana, 'app-data/com.example.game')).body.data.level, 12);
    });

    test('two devices editing the same note: the stale write gets 409 conflict and the first edit survives', async () => {
      const ana = await t.signUp();
      const phone = await linkDevice(t, ana);
      const tablet = await linkDevice(t, ana, { kind: 'tablet' });
      await put(phone.token, 'notes/plan', { text: 'v1' });
      const seenByBoth = (await get(tablet.token, 'notes/plan')).body.version;
      const fromPhone = await put(phone.token, 'notes/plan', { text: 'phone edit' }, { 'if-match': `"${seenByBoth}"` });
      assert.equal(fromPhone.status, 200);
      const fromTablet = await put<Api<'Problem'>>(
        tablet.token,
        'notes/plan',
        { text: 'tablet edit' },
        { 'if-match': String(seenByBoth) },
      );
      assert.equal(fromTablet.status, 409);
      assert.equal(fromTablet.body.code, 'conflict');
      assert.equal(fromTablet.body.currentVersion, fromPhone.body.version);
      assert.equal((await get(ana, 'notes/plan')).body.data.text, 'phone edit');
      // The tablet merges and retries against the version it was told about.
      const merged = await put(
        tablet.token,
        'notes/plan',
        { text: 'merged' },
        { 'if-match': String(fromTablet.body.currentVersion) },
      );
      assert.equal(merged.status, 200);
      assert.equal(merged.body.version, 3);
    });

    test('of 12 concurrent writes against the same version exactly one wins; the others get 409', async () => {
      const ana = await t.signUp();
      await put(ana, 'notes/race', { n: 0 });
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => put(ana, 'notes/race', { n: i + 1 }, { 'if-match': '1' })),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [200, ...Array(11).fill(409)]);
      const winner = results.find((r) => r.status === 200)!;
      assert.equal(winner.body.version, 2);
      assert.equal((await get(ana, 'notes/race')).body.version, 2);
    });

    test('concurrent writes to many items all land, and a delta sync taken meanwhile misses none of them', async () => {
      const ana = await t.signUp();
      const { cursor } = await syncAll(ana, 'messages');
      const seen = new Map<string, number>();
      let position = cursor;
      const writes = Promise.all(Array.from({ length: 40 }, (_, i) => put(ana, `messages/m${i}`, { i })));
      // Sync while the writes run, then once more after: every item must show up, none twice at one version.
      for (let round = 0; round < 3; round++) {
        const page = await syncAll(ana, 'messages', position);
        for (const item of page.items) seen.set(item.id, item.version);
        position = page.cursor;
      }
      assert.ok((await writes).every((r) => r.status === 200));
      const last = await syncAll(ana, 'messages', position);
      for (const item of last.items) seen.set(item.id, item.version);
      assert.equal(seen.size, 40);
      assert.ok([...seen.values()].every((v) => v === 1));
    });

    test('If-None-Match: * creates only; If-Match on a missing item conflicts; a stale delete conflicts', async () => {
      const ana = await t.signUp();
      assert.equal((await put(ana, 'notes/a', { n: 1 }, { 'if-none-match': '*' })).status, 200);
      const again = await put<Api<'Problem'>>(ana, 'notes/a', { n: 2 }, { 'if-none-match': '*' });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, 'cloud.item_exists');
      assert.equal(again.body.currentVersion, 1);
      assert.equal((await put(ana, 'notes/nothing-here', { n: 1 }, { 'if-match': '1' })).status, 409);
      await put(ana, 'notes/a', { n: 3 });
      const staleDelete = await t.request('DELETE', '/v1/cloud/notes/a', {
        token: ana.token,
        headers: { 'if-match': '1' },
      });
      assert.equal(staleDelete.status, 409);
      assert.equal((await get(ana, 'notes/a')).body.data.n, 3);
      assert.equal(
        (await t.request('DELETE', '/v1/cloud/notes/a', { token: ana.token, headers: { 'if-match': '2' } })).status,
        204,
      );
    });

    test('malformed preconditions are refused with 400 and change nothing', async () => {
      const ana = await t.signUp();
      await put(ana, 'notes/a', { n: 1 });
      for (const headers of [
        { 'if-match': 'yesterday' } as Record<string, string>,
        { 'if-match': '0' },
        { 'if-match': '-1' },
        { 'if-none-match': '"1"' },
      ]) {
        const response = await put<Api<'Problem'>>(ana, 'notes/a', { n: 2 }, headers);
        assert.equal(response.status, 400, JSON.stringify(headers));
        assert.equal(response.body.code, 'validation_failed');
      }
      assert.equal((await get(ana, 'notes/a')).body.version, 1);
    });

    test('a deleted item is gone (404), deleting it again is a 404, and re-creating it continues its versions', async () => {
      const ana = await t.signUp();
      await put(ana, 'notes/n', { n: 1 });
      assert.equal((await t.request('DELETE', '/v1/cloud/notes/n', { token: ana.token })).status, 204);
      const gone = await get<Api<'Problem'>>(ana, 'notes/n');
      assert.equal(gone.status, 404);
      assert.equal(gone.body.code, 'not_found');
      assert.equal((await t.request('DELETE', '/v1/cloud/notes/n', { token: ana.token })).status, 404);
      assert.equal((await t.request('DELETE', '/v1/cloud/notes/never', { token: ana.token })).status, 404);
      const recreated = await put(ana, 'notes/n', { n: 2 });
      assert.equal(recreated.body.version, 3, 'version 2 was the deletion');
    });

    test("another account's items are invisible: 404 to read or delete, absent from its sync, and untouched by its writes", async () => {
      const ana = await t.signUp();
      const ben = await t.signUp();
      await put(ana, 'notes/secret', { text: "Ana's" });
      assert.equal((await get(ben, 'notes/secret')).status, 404);
      assert.equal((await t.request('DELETE', '/v1/cloud/notes/secret', { token: ben.token })).status, 404);
      assert.equal(
        (await put(ben, 'notes/secret', { text: 'If-Match probe' }, { 'if-match': '1' })).status,
        409,
        'ben has no such item, whatever ana has',
      );
      assert.deepEqual((await syncAll(ben, 'notes')).items, []);
      assert.equal((await put(ben, 'notes/secret', { text: "Ben's" })).body.version, 1);
      assert.equal((await get(ana, 'notes/secret')).body.data.text, "Ana's");
      const anaCursor = (await syncAll(ana, 'notes')).cursor;
      const replayed = await get<Api<'Problem'>>(ben, `notes?since=${anaCursor}`);
      assert.equal(replayed.status, 400, 'a cursor is bound to its account');
      assert.equal(replayed.body.code, 'cursor_invalid');
    });

    test('garbage, tampered and misplaced cursors are refused with 400 cursor_invalid', async () => {
      const ana = await t.signUp();
      await put(ana, 'contacts/a', { n: 1 });
      const { cursor } = await syncAll(ana, 'contacts');
      const flipped = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
      for (const since of ['garbage', 'AAAA', flipped, cursor + 'A', '%00', 'x'.repeat(200)]) {
        const response = await get<Api<'Problem'>>(ana, `contacts?since=${encodeURIComponent(since)}`);
        assert.equal(response.status, 400, since);
        assert.equal(response.body.code, 'cursor_invalid');
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      }
      const otherCollection = await get<Api<'Problem'>>(ana, `notes?since=${cursor}`);
      assert.equal(otherCollection.status, 400);
      assert.equal(otherCollection.body.code, 'cursor_invalid');
    });

    test('page limits are 1 to 1000; other values and unknown query fields are a 400', async () => {
      const ana = await t.signUp();
      for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'limit=1.5', 'page=2']) {
        const response = await get<Api<'Problem'>>(ana, `contacts?${query}`);
        assert.equal(response.status, 400, query);
        assert.equal(response.body.code, 'validation_failed');
      }
      assert.equal((await get(ana, 'contacts?limit=1000')).status, 200);
    });

    test('bad addresses and bodies: unknown collection, long ids, over 64 KiB, wrong content type, malformed JSON', async () => {
      const ana = await t.signUp();
      assert.equal((await put(ana, 'calendar/x', { n: 1 })).status, 400);
      assert.equal((await get(ana, 'calendar')).status, 400);
      assert.equal(
        (await put(ana, `notes/${'é'.repeat(200)}`, { n: 1 })).status,
        200,
        'ids of up to 200 characters, any script',
      );
      assert.equal((await put(ana, `notes/${'x'.repeat(201)}`, { n: 1 })).status, 400);
      assert.equal((await put(ana, `notes/${encodeURIComponent('a/b')}`, { n: 1 })).status, 400);
      const fits = await put(ana, 'notes/big', { text: 'x'.repeat(64 * 1024 - 20) });
      assert.equal(fits.status, 200, fits.text);
      const tooBig = await put<Api<'Problem'>>(ana, 'notes/bigger', { text: 'x'.repeat(64 * 1024) });
      assert.equal(tooBig.status, 413);
      assert.equal(tooBig.body.code, 'payload_too_large');
      const asImage = await t.request('PUT', '/v1/cloud/notes/img', {
        token: ana.token,
        payload: Buffer.from('{"n":1}'),
        headers: { 'content-type': 'image/png' },
      });
      assert.equal(asImage.status, 415);
      const jsonPhoto = await put(ana, 'photos/p', { n: 1 });
      assert.equal(jsonPhoto.status, 415);
      const malformed = await t.request<Api<'Problem'>>('PUT', '/v1/cloud/notes/m', {
        token: ana.token,
        payload: '{"n":',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.code, 'validation_failed');
      assert.equal(
        (await get<Api<'Changes'>>(ana, 'notes?limit=10')).body.items.length,
        2,
        'only the items that fit were stored',
      );
    });

    test('the cloud needs a session: no token is a 401', async () => {
      assert.equal((await t.request('GET', '/v1/cloud')).status, 401);
      assert.equal((await t.request('PUT', '/v1/cloud/notes/a', { body: { n: 1 } })).status, 401);
      assert.equal((await t.request('GET', '/v1/cloud/notes')).status, 401);
    });

    test('GET /v1/cloud counts items and bytes per collection, and shows the quota', async () => {
      const ana = await t.signUp();
      await put(ana, 'contacts/a', { name: 'A' });
      await put(ana, 'contacts/b', { name: 'B' });
      await put(ana, 'notes/a', { text: 'hello' });
      await put(ana, 'notes/gone', { text: 'bye' });
      await t.request('DELETE', '/v1/cloud/notes/gone', { token: ana.token });
      const summary = await t.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: ana.token });
      assert.equal(summary.status, 200);
      assert.deepEqual(summary.body.collections.contacts, { count: 2, bytes: 2 * Buffer.byteLength('{"name":"A"}') });
      assert.deepEqual(summary.body.collections.notes, { count: 1, bytes: Buffer.byteLength('{"text":"hello"}') });
      assert.deepEqual(summary.body.collections.photos, { count: 0, bytes: 0 });
      assert.deepEqual(Object.keys(summary.body.collections).sort(), [
        'app-data',
        'contacts',
        'messages',
        'notes',
        'photos',
      ]);
      assert.equal(summary.body.usedBytes, 2 * 12 + 16);
      assert.equal(summary.body.quotaBytes, 5 * 1024 ** 3);
    });
  });
}
