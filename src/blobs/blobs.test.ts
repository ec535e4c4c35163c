import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import S3rver from 's3rver';
import { createTestApp, testDatabases } from '../testing/test-app.js';
import { makeImage } from '../cloud/test-images.js';
import { DiskBlobStore } from './disk.js';
import { S3BlobStore } from './s3.js';
import { parseS3Url } from './s3-url.js';
import type { BlobStore } from './store.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A stream of `total` random bytes in uneven pieces, and the bytes it yields. */
function randomStream(total: number): { stream: Readable; bytes: Buffer } {
  const bytes = randomBytes(total);
  const pieces: Buffer[] = [];
  for (let at = 0; at < total; at += 700_001) pieces.push(bytes.subarray(at, at + 700_001));
  return { stream: Readable.from(pieces), bytes };
}

/** A stream that fails after some bytes, like a client that disconnects mid-upload. */
function failingStream(): Readable {
  return Readable.from(
    (async function* () {
      yield randomBytes(64 * 1024);
      throw new Error('client went away');
    })(),
  );
}

// A real S3-compatible server (s3rver, from npm) on a free port, storing in a temporary folder.
let s3rver: S3rver;
let s3Folder: string;
let s3Url: string;
before(async () => {
  s3Folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-s3rver-'));
  s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: s3Folder,
    configureBuckets: [{ name: 'lanyard', configs: [] }],
  });
  const { port } = await s3rver.run();
  s3Url = `s3+http://S3RVER:S3RVER@127.0.0.1:${port}/lanyard/tenant-a?region=us-east-1`;
});
after(async () => {
  await s3rver.close();
  fs.rmSync(s3Folder, { recursive: true, force: true });
});

const stores: Array<[string, () => BlobStore]> = [
  ['disk', () => new DiskBlobStore(fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-blobs-')))],
  ['S3', () => new S3BlobStore(parseS3Url(s3Url))],
];

for (const [name, make] of stores) {
  describe(`blob store: ${name}`, () => {
    let store: BlobStore;
    before(() => {
      store = make();
    });
    after(() => store.close());

    test('a 12 MiB stream goes in and comes back whole (several multipart parts on S3)', async () => {
      const { stream, bytes } = randomStream(12 * 1024 * 1024);
      await store.put('acct-1', 'big', stream);
      const back = await buffer((await store.get('acct-1', 'big'))!);
      assert.equal(sha256(back), sha256(bytes));
    });

    test('a missing blob reads as undefined; deleting it twice is fine', async () => {
      assert.equal(await store.get('acct-1', 'never-written'), undefined);
      await store.put('acct-1', 'short-lived', Readable.from([Buffer.from('x')]));
      await store.delete('acct-1', 'short-lived');
      await store.delete('acct-1', 'short-lived');
      assert.equal(await store.get('acct-1', 'short-lived'), undefined);
    });

    test('an upload that fails midway leaves no blob behind, and the previous one intact', async () => {
      await store.put('acct-2', 'photo', Readable.from([Buffer.from('first version')]));
      await assert.rejects(store.put('acct-2', 'photo', failingStream()), /client went away/);
      assert.equal((await buffer((await store.get('acct-2', 'photo'))!)).toString(), 'first version');
      await assert.rejects(store.put('acct-2', 'other', failingStream()));
      assert.equal(await store.get('acct-2', 'other'), undefined);
    });

    test("deleting an account's blobs removes all of them and nobody else's", async () => {
      for (let i = 0; i < 5; i++) await store.put('acct-3', `b${i}`, Readable.from([randomBytes(100)]));
      await store.put('acct-4', 'keep', Readable.from([Buffer.from('keep me')]));
      await store.deleteAllForAccount('acct-3');
      await store.deleteAllForAccount('acct-3');
      for (let i = 0; i < 5; i++) assert.equal(await store.get('acct-3', `b${i}`), undefined);
      assert.equal((await buffer((await store.get('acct-4', 'keep'))!)).toString(), 'keep me');
    });

    test('names that could escape the account are refused', async () => {
      for (const bad of ['../x', 'a/b', '', '.hidden', 'a\u0000b']) {
        await assert.rejects(store.put('acct-5', bad, Readable.from([Buffer.from('x')])), /not a safe blob key part/);
        await assert.rejects(store.get(bad, 'x'), /not a safe blob key part/);
      }
    });
  });
}

describe('LANYARD_S3_URL', () => {
  test('names the endpoint, bucket, prefix, region, path style and credentials', () => {
    assert.deepEqual(
      parseS3Url('s3://AK%2F1:SE%2Bcret@minio.example:9000/photos/eu/one?region=eu-west-1&forcePathStyle=true'),
      {
        endpoint: 'https://minio.example:9000',
        region: 'eu-west-1',
        bucket: 'photos',
        prefix: 'eu/one/',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AK/1', secretAccessKey: 'SE+cret' },
      },
    );
    const aws = parseS3Url('s3://s3.amazonaws.com/my-bucket?region=us-west-2');
    assert.equal(aws.endpoint, undefined);
    assert.equal(aws.forcePathStyle, false);
    assert.equal(aws.credentials, undefined);
    assert.equal(parseS3Url('s3+http://k:s@127.0.0.1:9000/b').endpoint, 'http://127.0.0.1:9000');
  });

  test('refuses a URL without a bucket, with unknown parameters or half credentials', () => {
    assert.throws(() => parseS3Url('s3://k:s@host:9000/'), /needs a bucket/);
    assert.throws(() => parseS3Url('s3://k:s@host/b?regoin=x'), /unknown parameter "regoin"/);
    assert.throws(() => parseS3Url('s3://k@host/b'), /without a secret/);
    assert.throws(() => parseS3Url('s3://host/b?forcePathStyle=maybe'), /true or false/);
  });
});

for (const database of testDatabases()) {
  describe(`cloud photos on S3 (${database})`, () => {
    test('a photo is stored sealed in the bucket, served back whole with its thumbnail, and removed when deleted', async () => {
      const t = await createTestApp({ database, env: { LANYARD_S3_URL: s3Url } });
      try {
        const ana = await t.signUp();
        const png = await makeImage('png', 640, 480);
        const put = await t.request('PUT', '/v1/cloud/photos/IMG_9', {
          token: ana.token,
          payload: png,
          headers: { 'content-type': 'image/png' },
        });
        assert.equal(put.status, 200, put.text);
        await t.drainJobs();
        const read = await t.app.http.inject({
          method: 'GET',
          url: '/v1/cloud/photos/IMG_9',
          headers: { authorization: `Bearer ${ana.token}` },
        });
        assert.ok(read.rawPayload.equals(png));
        const thumbnail = await t.request('GET', '/v1/cloud/photos/IMG_9/thumbnail', { token: ana.token });
        assert.equal(thumbnail.status, 200);
        assert.equal(thumbnail.headers['content-type'], 'image/webp');
        assert.ok(!fs.existsSync(path.join(t.app.config.dataDir, 'blobs')), 'nothing went to the local folder');
        // s3rver keeps each object's bytes in a file named `<key>._S3rver_object`.
        const objectsOf = (accountId: string) =>
          fs
            .readdirSync(s3Folder, { recursive: true, withFileTypes: true })
            .filter(
              (e) =>
                e.isFile() &&
                e.name.endsWith('._S3rver_object') &&
                path.join(e.parentPath, e.name).includes(`tenant-a${path.sep}${accountId}`),
            );
        const objects = objectsOf(ana.id);
        assert.equal(objects.length, 2, 'the photo and its thumbnail, under the prefix and the account');
        for (const object of objects)
          assert.ok(!fs.readFileSync(path.join(object.parentPath, object.name)).includes(png.subarray(1000, 1032)));
        assert.equal((await t.request('DELETE', '/v1/cloud/photos/IMG_9', { token: ana.token })).status, 204);
        await t.drainJobs();
        assert.deepEqual(objectsOf(ana.id), []);
      } finally {
        await t.close();
      }
    });
  });
}
