import { unzip } from './test-zip.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeHeic, makeImage } from '../cloud/test-images.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

/** Entries of the export's contacts.json and photos.json, as these tests write them. */
interface ExportedContact {
  id: string;
  data: { name: string };
}
interface ExportedPhoto {
  id: string;
  file: string;
  contentType: string;
}

for (const database of testDatabases()) {
  describe(`cloud export (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    const download = async (who: TestAccount, id: string) =>
      t.app.http.inject({
        method: 'GET',
        url: `/v1/me/export/${id}/download`,
        headers: { authorization: `Bearer ${who.token}` },
      });

    test('an export is a zip with a JSON file per collection and the original photos, ready once the job ran', async () => {
      const ana = await t.signUp();
      const jpeg = await makeImage('jpeg');
      const heic = makeHeic(5000);
      await t.request('PUT', '/v1/cloud/contacts/c1', {
        token: ana.token,
        body: { name: 'Bea', phone: '+34600000001' },
      });
      await t.request('PUT', '/v1/cloud/contacts/c2', { token: ana.token, body: { name: 'Carl' } });
      await t.request('PUT', '/v1/cloud/contacts/gone', { token: ana.token, body: { name: 'Deleted' } });
      await t.request('DELETE', '/v1/cloud/contacts/gone', { token: ana.token });
      await t.request('PUT', '/v1/cloud/notes/n1', { token: ana.token, body: { text: 'ñandú ☂' } });
      await t.request('PUT', '/v1/cloud/photos/IMG_1.JPG', {
        token: ana.token,
        payload: jpeg,
        headers: { 'content-type': 'image/jpeg' },
      });
      await t.request('PUT', '/v1/cloud/photos/..%5C..%5Cevil', {
        token: ana.token,
        payload: heic,
        headers: { 'content-type': 'image/heic' },
      });

      const asked = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      assert.equal(asked.status, 202, asked.text);
      assert.equal(asked.body.status, 'pending');
      assert.equal(asked.body.download, null);
      const again = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      assert.equal(again.body.id, asked.body.id, 'asking twice while it is being made gives the same export');
      const early = await download(ana, asked.body.id);
      assert.equal(early.statusCode, 409);
      assert.equal(JSON.parse(early.body).code, 'export.not_ready');

      await t.drainJobs();
      const status = await t.request<Api<'Export'>>('GET', `/v1/me/export/${asked.body.id}`, { token: ana.token });
      assert.equal(status.body.status, 'ready');
      assert.equal(status.body.download, `/v1/me/export/${asked.body.id}/download`);
      assert.ok(status.body.expiresAt && status.body.completedAt);
      assert.equal(Date.parse(status.body.expiresAt) - Date.parse(status.body.completedAt), 7 * 24 * 3600 * 1000);
      const zip = await download(ana, asked.body.id);
      assert.equal(zip.statusCode, 200);
      assert.equal(zip.headers['content-type'], 'application/zip');
      assert.equal(zip.rawPayload.length, status.body.size);
      const entries = await unzip(zip.rawPayload);
      assert.deepEqual(
        [...entries.keys()].sort(),
        [
          'README.txt',
          'app-data.json',
          'contacts.json',
          'messages.json',
          'notes.json',
          'photos.json',
          'photos/IMG_1.JPG',
          'photos/__.._evil.heic',
        ].sort(),
        'a photo id never becomes a path outside photos/',
      );
      const contacts = JSON.parse(entries.get('contacts.json')!.toString());
      assert.deepEqual(
        contacts.map((c: ExportedContact) => [c.id, c.data.name]),
        [
          ['c1', 'Bea'],
          ['c2', 'Carl'],
        ],
      );
      assert.equal(JSON.parse(entries.get('notes.json')!.toString())[0].data.text, 'ñandú ☂');
      assert.deepEqual(JSON.parse(entries.get('messages.json')!.toString()), []);
      assert.ok(entries.get('photos/IMG_1.JPG')!.equals(jpeg));
      const photos = JSON.parse(entries.get('photos.json')!.toString());
      assert.deepEqual(
        photos.map((p: ExportedPhoto) => [p.id, p.file, p.contentType]),
        [
          ['..\\..\\evil', 'photos/__.._evil.heic', 'image/heic'],
          ['IMG_1.JPG', 'photos/IMG_1.JPG', 'image/jpeg'],
        ],
      );
    });

    test('the zip is kept sealed at rest, and deleted with its download after 7 days', async () => {
      const ana = await t.signUp();
      const marker = 'EXPORT-MARKER-4f1c2b';
      await t.request('PUT', '/v1/cloud/notes/n', { token: ana.token, body: { text: marker } });
      const { body } = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      await t.drainJobs();
      const folder = path.join(t.app.config.dataDir, 'blobs', ana.id);
      const files = fs.readdirSync(folder).filter((f) => f.startsWith('export-'));
      assert.equal(files.length, 1);
      // Stored entries of small JSON are deflated anyway; the check that matters is that nothing is plain.
      assert.ok(
        !fs.readFileSync(path.join(folder, files[0]!)).includes(Buffer.from('README.txt')),
        'not even the zip directory is readable',
      );
      assert.ok(
        (await unzip((await download(ana, body.id)).rawPayload)).get('notes.json')!.toString().includes(marker),
      );

      t.clock.advance(7 * 24 * 3600 * 1000 - 60_000);
      await t.drainJobs();
      await reauthenticate(t, ana); // a download needs a fresh session
      assert.equal((await download(ana, body.id)).statusCode, 200, 'still there a minute before');
      t.clock.advance(60_000);
      await t.drainJobs();
      const expired = await t.request<Api<'Export'>>('GET', `/v1/me/export/${body.id}`, { token: ana.token });
      assert.equal(expired.body.status, 'expired');
      assert.equal((await download(ana, body.id)).statusCode, 404);
      assert.deepEqual(
        fs.readdirSync(folder).filter((f) => f.startsWith('export-')),
        [],
      );
      const next = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      assert.notEqual(next.body.id, body.id, 'a new export can be asked for');
    });

    test("another account's export is a 404, and so is an unknown id", async () => {
      const ana = await t.signUp();
      const ben = await t.signUp();
      const { body } = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      await t.drainJobs();
      assert.equal((await t.request('GET', `/v1/me/export/${body.id}`, { token: ben.token })).status, 404);
      assert.equal((await download(ben, body.id)).statusCode, 404);
      assert.equal((await t.request('GET', '/v1/me/export/nope', { token: ana.token })).status, 404);
      assert.equal((await t.request('POST', '/v1/me/export')).status, 401);
    });

    test('an account with nothing in the cloud gets a zip of empty collections', async () => {
      const ana = await t.signUp();
      const { body } = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      await t.drainJobs();
      const entries = await unzip((await download(ana, body.id)).rawPayload);
      for (const name of ['contacts.json', 'notes.json', 'messages.json', 'app-data.json', 'photos.json'])
        assert.deepEqual(JSON.parse(entries.get(name)!.toString()), []);
    });
  });
}
