import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';
import { makeHeic, makeImage, makeJpegOfSize, makeLargeJpeg } from './test-images.js';
import type { Api } from '../testing/api-types.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/** Files (not folders) under the account's blob folder, temporary ones included. */
function blobFiles(t: TestApp, account: TestAccount): string[] {
  const folder = path.join(t.app.config.dataDir, 'blobs', account.id);
  return fs.existsSync(folder) ? fs.readdirSync(folder) : [];
}

for (const database of testDatabases()) {
  describe(`cloud photos (${database})`, () => {
    let t: TestApp;
    // A second server with small limits, for the size and quota rules.
    let small: TestApp;
    before(async () => {
      t = await createTestApp({ database });
      small = await createTestApp({
        database,
        env: { LANYARD_MAX_PHOTO_BYTES: '65536', LANYARD_QUOTA_BYTES: '150000' },
      });
    });
    after(async () => {
      await t.close();
      await small.close();
    });

    const upload = <T = Api<'ItemWritten'>>(
      app: TestApp,
      who: TestAccount,
      itemId: string,
      bytes: Buffer,
      contentType = 'image/jpeg',
      headers: Record<string, string> = {},
    ) =>
      app.request<T>('PUT', `/v1/cloud/photos/${itemId}`, {
        token: who.token,
        payload: bytes,
        headers: { 'content-type': contentType, ...headers },
      });

    test('a photo streams in and out byte for byte, typed by its content rather than by the client', async () => {
      const ana = await t.signUp();
      const jpeg = await makeLargeJpeg(3 * 1024 * 1024);
      const stored = await upload(t, ana, 'IMG_0001', jpeg, 'image/png');
      assert.equal(stored.status, 200, stored.text);
      assert.equal(stored.body.version, 1);
      const read = await t.app.http.inject({
        method: 'GET',
        url: '/v1/cloud/photos/IMG_0001',
        headers: { authorization: `Bearer ${ana.token}` },
      });
      assert.equal(read.statusCode, 200);
      assert.equal(read.headers['content-type'], 'image/jpeg');
      assert.equal(Number(read.headers['content-length']), jpeg.length);
      assert.equal(read.headers['x-content-type-options'], 'nosniff');
      assert.equal(sha256(read.rawPayload), sha256(jpeg));
      const listed = await t.request<Api<'Changes'>>('GET', '/v1/cloud/photos', { token: ana.token });
      assert.deepEqual(
        listed.body.items.map((i: any) => [i.id, i.size, i.contentType, 'data' in i]),
        [['IMG_0001', jpeg.length, 'image/jpeg', false]],
      );
      const summary = await t.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: ana.token });
      assert.deepEqual(summary.body.collections.photos, { count: 1, bytes: jpeg.length });
    });

    test('PNG, WebP and GIF are accepted and recognised; each gets a WebP thumbnail of at most 320 px once the job ran', async () => {
      const ana = await t.signUp();
      for (const format of ['png', 'webp', 'gif'] as const) {
        const image = await makeImage(format, 800, 600);
        assert.equal((await upload(t, ana, `p-${format}`, image, 'application/octet-stream')).status, 200);
      }
      const before = await t.request('GET', '/v1/cloud/photos/p-png/thumbnail', { token: ana.token });
      assert.equal(before.status, 404, 'made in the background, not yet');
      await t.drainJobs();
      const listed = await t.request<Api<'Changes'>>('GET', '/v1/cloud/photos', { token: ana.token });
      assert.deepEqual(
        listed.body.items.map((i: any) => [i.contentType, i.thumbnail]),
        [
          ['image/png', true],
          ['image/webp', true],
          ['image/gif', true],
        ],
      );
      for (const format of ['png', 'webp', 'gif']) {
        const thumbnail = await t.app.http.inject({
          method: 'GET',
          url: `/v1/cloud/photos/p-${format}/thumbnail`,
          headers: { authorization: `Bearer ${ana.token}` },
        });
        assert.equal(thumbnail.statusCode, 200);
        assert.equal(thumbnail.headers['content-type'], 'image/webp');
        const meta = await sharp(thumbnail.rawPayload).metadata();
        assert.equal(meta.format, 'webp');
        assert.deepEqual([meta.width, meta.height], [320, 240]);
      }
    });

    test('a HEIC photo is stored and served as image/heic, without a thumbnail (the bundled decoder has no HEVC)', async () => {
      const ana = await t.signUp();
      const heic = makeHeic(10_000);
      assert.equal((await upload(t, ana, 'IMG_0002.HEIC', heic, 'image/heic')).status, 200);
      await t.drainJobs();
      const read = await t.app.http.inject({
        method: 'GET',
        url: '/v1/cloud/photos/IMG_0002.HEIC',
        headers: { authorization: `Bearer ${ana.token}` },
      });
      assert.equal(read.headers['content-type'], 'image/heic');
      assert.ok(read.rawPayload.equals(heic));
      const listed = await t.request<Api<'Changes'>>('GET', '/v1/cloud/photos', { token: ana.token });
      assert.equal(listed.body.items[0]?.thumbnail, false);
      const thumbnail = await t.request<Api<'Problem'>>('GET', '/v1/cloud/photos/IMG_0002.HEIC/thumbnail', {
        token: ana.token,
      });
      assert.equal(thumbnail.status, 404);
      assert.equal(thumbnail.body.code, 'not_found');
    });

    test('text posing as image/jpeg, and an empty body, are refused with 415 and leave nothing behind', async () => {
      const ana = await t.signUp();
      const text = Buffer.from('Dear diary, this is not a picture at all. '.repeat(20));
      for (const [body, type] of [
        [text, 'image/jpeg'],
        [Buffer.alloc(0), 'image/png'],
        [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
      ] as const) {
        const refused = await upload<Api<'Problem'>>(t, ana, 'fake', body, type);
        assert.equal(refused.status, 415, type);
        assert.equal(refused.body.code, 'unsupported_image_type');
      }
      const plain = await upload(t, ana, 'fake', text, 'text/plain');
      assert.equal(plain.status, 415);
      assert.equal((await t.request('GET', '/v1/cloud/photos/fake', { token: ana.token })).status, 404);
      assert.deepEqual(blobFiles(t, ana), []);
      assert.equal((await t.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: ana.token })).body.usedBytes, 0);
    });

    test('a photo past the size limit is a 413, whether it says its length up front or streams without one', async () => {
      const ana = await small.signUp();
      const limit = 65536;
      assert.equal((await upload(small, ana, 'exact', await makeJpegOfSize(limit))).status, 200);
      const over = await makeJpegOfSize(limit + 1);
      const declared = await upload<Api<'Problem'>>(small, ana, 'over', over);
      assert.equal(declared.status, 413);
      assert.equal(declared.body.code, 'payload_too_large');
      const streamed = await small.app.http.inject({
        method: 'PUT',
        url: '/v1/cloud/photos/over',
        headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' },
        payload: Readable.from([over.subarray(0, 40_000), over.subarray(40_000)]),
      });
      assert.equal(streamed.statusCode, 413);
      assert.equal(JSON.parse(streamed.body).code, 'payload_too_large');
      assert.equal((await small.request('GET', '/v1/cloud/photos/over', { token: ana.token })).status, 404);
      assert.equal(blobFiles(small, ana).length, 1, 'only the photo that fit; no partial or temporary file');
    });

    test('the quota refuses what would not fit with 413 quota_exceeded, for photos and JSON alike; deleting frees room', async () => {
      const ana = await small.signUp();
      const photo = await makeJpegOfSize(60_000);
      assert.equal((await upload(small, ana, 'a', photo)).status, 200);
      assert.equal((await upload(small, ana, 'b', photo)).status, 200);
      const third = await upload<Api<'Problem'>>(small, ana, 'c', photo);
      assert.equal(third.status, 413);
      assert.equal(third.body.code, 'quota_exceeded');
      // Streamed without a length, the quota is checked when the bytes are in; nothing is kept.
      const streamed = await small.app.http.inject({
        method: 'PUT',
        url: '/v1/cloud/photos/c',
        headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' },
        payload: Readable.from([photo]),
      });
      assert.equal(streamed.statusCode, 413);
      assert.equal(JSON.parse(streamed.body).code, 'quota_exceeded');
      const note = await small.request<Api<'Problem'>>('PUT', '/v1/cloud/notes/n', {
        token: ana.token,
        body: { text: 'x'.repeat(40_000) },
      });
      assert.equal(note.status, 413);
      assert.equal(note.body.code, 'quota_exceeded');
      // Replacing a photo counts only the difference.
      assert.equal((await upload(small, ana, 'a', await makeJpegOfSize(55_000))).status, 200);
      assert.equal((await small.request('DELETE', '/v1/cloud/photos/b', { token: ana.token })).status, 204);
      assert.equal((await upload(small, ana, 'c', photo)).status, 200);
      const summary = await small.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: ana.token });
      assert.equal(summary.body.usedBytes, 115_000);
      assert.equal(summary.body.quotaBytes, 150_000);
      const other = await small.signUp();
      assert.equal((await upload(small, other, 'a', photo)).status, 200, 'the quota is per account');
    });

    test('replacing or deleting a photo removes the old blob and thumbnail once the jobs ran', async () => {
      const ana = await t.signUp();
      await upload(t, ana, 'p', await makeImage('png', 400, 300));
      await t.drainJobs();
      assert.equal(blobFiles(t, ana).length, 2, 'the photo and its thumbnail');
      const replaced = await upload(t, ana, 'p', await makeImage('jpeg', 400, 300), 'image/jpeg', { 'if-match': '1' });
      assert.equal(replaced.body.version, 2);
      await t.drainJobs();
      assert.equal(blobFiles(t, ana).length, 2, 'the new photo and its thumbnail; the old ones are gone');
      assert.equal((await t.request('DELETE', '/v1/cloud/photos/p', { token: ana.token })).status, 204);
      await t.drainJobs();
      assert.deepEqual(blobFiles(t, ana), []);
      const listed = await t.request<Api<'Changes'>>('GET', '/v1/cloud/photos', { token: ana.token });
      assert.deepEqual(listed.body.deleted, ['p']);
    });

    test('a thumbnail job whose photo cannot be opened fails and waits for a retry instead of hanging the worker', async () => {
      const ana = await t.signUp();
      await upload(t, ana, 'broken', await makeImage('png', 300, 200));
      const [blob] = blobFiles(t, ana);
      const file = path.join(t.app.config.dataDir, 'blobs', ana.id, blob!);
      const sealed = fs.readFileSync(file);
      sealed.writeUInt8(sealed.readUInt8(40) ^ 0xff, 40);
      fs.writeFileSync(file, sealed);
      await t.drainJobs();
      const job = await t.app.database.db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', 'cloud.thumbnail')
        .where('account_id', '=', ana.id)
        .executeTakeFirstOrThrow();
      assert.equal(job.attempts, 1);
      assert.ok(job.last_error);
      assert.equal(job.failed_at, null, 'retried later, with backoff');
      assert.equal((await t.request('GET', '/v1/cloud/photos/broken/thumbnail', { token: ana.token })).status, 404);
    });

    test('order=newest lists the live photos most recently changed first, a page at a time, without deletions', async () => {
      const bea = await t.signUp();
      const png = await makeImage('png');
      for (const id of ['p1', 'p2', 'p3', 'p4', 'p5'])
        assert.equal((await upload(t, bea, id, png, 'image/png')).status, 200);
      // p2 changes again (it becomes the newest), p4 is deleted (it is not listed).
      assert.equal((await upload(t, bea, 'p2', png, 'image/png')).status, 200);
      assert.equal((await t.request('DELETE', '/v1/cloud/photos/p4', { token: bea.token })).status, 204);
      const list = <T = Api<'Changes'>>(query: string) =>
        t.request<T>('GET', `/v1/cloud/photos?order=newest&${query}`, { token: bea.token });

      const first = await list('limit=2');
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(
        first.body.items.map((i) => i.id),
        ['p2', 'p5'],
      );
      assert.equal(first.body.hasMore, true);
      assert.deepEqual(first.body.deleted, []);
      assert.equal(first.body.items[0]?.contentType, 'image/png');
      const second = await list(`limit=2&since=${first.body.cursor}`);
      assert.deepEqual(
        second.body.items.map((i) => i.id),
        ['p3', 'p1'],
      );
      assert.equal(second.body.hasMore, false);
      const after = await list(`limit=2&since=${second.body.cursor}`);
      assert.deepEqual(after.body.items, []);
      assert.equal(after.body.hasMore, false);

      // A cursor of one order is refused by the other, and delta sync is unchanged.
      const sync = await t.request<Api<'Changes'>>('GET', '/v1/cloud/photos?limit=10', { token: bea.token });
      assert.deepEqual(
        sync.body.items.map((i: { id: string }) => i.id),
        ['p1', 'p3', 'p5', 'p2'],
      );
      assert.deepEqual(sync.body.deleted, ['p4']);
      const refused = await list<Api<'Problem'>>(`since=${sync.body.cursor}`);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 'cursor_invalid');
      const refusedBack = await t.request<Api<'Problem'>>('GET', `/v1/cloud/photos?since=${first.body.cursor}`, {
        token: bea.token,
      });
      assert.equal(refusedBack.body.code, 'cursor_invalid');
      assert.equal((await t.request('GET', '/v1/cloud/photos?order=oldest', { token: bea.token })).status, 400);
    });

    test('a stale If-Match on a photo is a 409 before any byte is stored', async () => {
      const ana = await t.signUp();
      const ben = await t.signUp();
      await upload(t, ana, 'p', await makeImage('jpeg'));
      await upload(t, ana, 'p', await makeImage('jpeg'));
      const stale = await upload<Api<'Problem'>>(t, ana, 'p', await makeImage('jpeg'), 'image/jpeg', {
        'if-match': '1',
      });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.currentVersion, 2);
      assert.equal(
        blobFiles(t, ana).length,
        2,
        'the two stored versions (the first awaits its deletion job); nothing from the refused one',
      );
      assert.equal(
        (await t.request('GET', '/v1/cloud/photos/p', { token: ben.token })).status,
        404,
        "another account's photo",
      );
      assert.equal((await t.request('GET', '/v1/cloud/photos/p/thumbnail', { token: ben.token })).status, 404);
      assert.equal(
        (await t.request('GET', '/v1/cloud/notes/p/thumbnail', { token: ana.token })).status,
        400,
        'only photos have thumbnails',
      );
    });
  });
}
