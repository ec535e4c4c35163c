import { unzip } from './test-zip.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { itemAad } from '../cloud/service.js';
import { makeHeic } from '../cloud/test-images.js';
import { sealText } from '../crypto/sealing.js';
import { MAX_JSON_DEPTH } from '../http/json-depth.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { assertProblem } from '../testing/problems.js';
import { reauthenticate } from '../testing/reauth.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';

/** The data of a note stored by these tests. */
type NoteData = { text: string };
/** An entry of an export's contacts.json: its data, or unreadable when it could not be opened. */
interface ExportedItem {
  id: string;
  data?: { name?: string };
  unreadable?: true;
}

// Issue 13, item 1: a hostile item (thousands of nested arrays in 8 KiB) and a damaged row must neither
// take the process down nor break a collection's listing or the export.

const HOUR = 3600_000;
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** Every file under a folder, recursively. */
function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

for (const database of testDatabases()) {
  describe(`hostile JSON and damaged rows (${database})`, () => {
    let t: TestApp;
    let dataDir: string;
    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-hostile-'));
      t = await createTestApp({ database, dataDir });
    });
    after(async () => {
      await t.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const put = (who: TestAccount, url: string, payload: string) =>
      t.request('PUT', url, { token: who.token, payload, headers: { 'content-type': 'application/json' } });
    /**
     * Stores an item as a server without the depth limit did: written as a small item through the API,
     * then its sealed body replaced by the deep text (no recursive code of ours touches it on the way in).
     */
    const storeAsBefore = async (who: TestAccount, itemId: string, text: string) => {
      assert.equal((await put(who, `/v1/cloud/notes/${itemId}`, '{}')).status, 200);
      const key = (await t.app.keyRing.get(who.id))!;
      const body = sealText(key, text, itemAad(who.id, 'notes', itemId, 1));
      await t.app.database.db
        .updateTable('cloud_items')
        .set({ body, size: text.length })
        .where('account_id', '=', who.id)
        .where('item_id', '=', itemId)
        .execute();
    };

    test('a body nested deeper than the limit is refused with 400 body_too_deep on every route, before it is parsed', async () => {
      const ana = await t.signUp();
      for (const depth of [MAX_JSON_DEPTH + 1, 4000, 30_000]) {
        assertProblem(await put(ana, '/v1/cloud/notes/deep', nested(depth)), 400, 'body_too_deep', `depth ${depth}`);
      }
      // Objects count as arrays do, and a route with a strict schema is refused the same way.
      const objects = '{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1);
      assertProblem(
        await t.request('POST', '/v1/sessions', { payload: objects, headers: { 'content-type': 'application/json' } }),
        400,
        'body_too_deep',
      );
      assertProblem(
        await t.request('POST', '/v1/signup', {
          payload: nested(30_000),
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'body_too_deep',
      );
      // JSON inside a field (the captcha's base64 payload) is held to the same limit: a refusal, not a 500.
      const deepCaptcha = Buffer.from(`{"challenge":{"parameters":${nested(1400)}},"solution":{}}`).toString('base64');
      const recovery = await t.request('POST', '/v1/recovery', {
        body: { login: 'someone@example.com', channel: 'email', captcha: deepCaptcha },
      });
      assert.equal(recovery.status, 400, recovery.text);
      // Not an item of the collection, and the server still answers.
      assertProblem(await t.request('GET', '/v1/cloud/notes/deep', { token: ana.token }), 404, 'not_found');
    });

    test('a body exactly at the limit is stored and read back, and brackets inside strings do not count', async () => {
      const ana = await t.signUp();
      const atLimit = await put(ana, '/v1/cloud/notes/ok', nested(MAX_JSON_DEPTH));
      assert.equal(atLimit.status, 200, atLimit.text);
      const text = JSON.stringify({ text: '['.repeat(10_000), more: ['{{{"\\"[['] });
      const quoted = await put(ana, '/v1/cloud/notes/brackets', text);
      assert.equal(quoted.status, 200, quoted.text);
      const read = await t.request<Api<'Item'>>('GET', '/v1/cloud/notes/brackets', { token: ana.token });
      assert.deepEqual(read.body.data, JSON.parse(text));
    });

    test('a hostile item stored before the limit neither breaks the listing nor the export, and the server keeps answering', async () => {
      const ana = await t.signUp();
      assert.equal((await put(ana, '/v1/cloud/notes/a', '{"text":"first"}')).status, 200);
      const hostile = nested(4096); // 8 KiB
      await storeAsBefore(ana, 'hostile', hostile);
      await storeAsBefore(ana, 'deeper', nested(30_000));
      assert.equal((await put(ana, '/v1/cloud/notes/z', '{"text":"last"}')).status, 200);

      const list = await t.request<Api<'Changes'>>('GET', '/v1/cloud/notes', { token: ana.token });
      assert.equal(list.status, 200, list.text.slice(0, 300));
      assert.deepEqual(
        list.body.items.map((i) => (i.data as NoteData).text),
        ['first', 'last'],
      );
      assert.deepEqual(list.body.unreadable.sort(), ['deeper', 'hostile']);
      assertProblem(await t.request('GET', '/v1/cloud/notes/hostile', { token: ana.token }), 422, 'item_unreadable');

      const asked = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      assert.equal(asked.status, 202, asked.text);
      await t.drainJobs();
      const status = await t.request<Api<'Export'>>('GET', `/v1/me/export/${asked.body.id}`, { token: ana.token });
      assert.equal(status.body.status, 'ready', status.text);
      assert.equal(status.body.error, null);
      assert.ok(status.body.download);
      const zip = await t.app.http.inject({
        method: 'GET',
        url: status.body.download,
        headers: { authorization: `Bearer ${ana.token}` },
      });
      assert.equal(zip.statusCode, 200);
      const notes = (await unzip(zip.rawPayload)).get('notes.json')!.toString();
      // The export carries the item exactly as stored, however deep: it is never parsed to be written.
      assert.ok(
        notes.includes(`"id":"hostile","version":1,"updatedAt":"${list.body.items[0]?.updatedAt}","data":${hostile}}`),
      );
      assert.ok(notes.includes(nested(30_000)));
      assert.equal((await t.request('GET', '/v1/me', { token: ana.token })).status, 200);
    });

    test('a damaged row is named in "unreadable" while every other item of the page is answered, and the export lists it as unreadable', async () => {
      const ana = await t.signUp();
      for (const id of ['one', 'two', 'three'])
        assert.equal((await put(ana, `/v1/cloud/contacts/${id}`, JSON.stringify({ name: id }))).status, 200);
      await t.app.database.db
        .updateTable('cloud_items')
        .set({ body: 'not sealed at all' })
        .where('account_id', '=', ana.id)
        .where('item_id', '=', 'two')
        .execute();

      const list = await t.request<Api<'Changes'>>('GET', '/v1/cloud/contacts', { token: ana.token });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(
        list.body.items.map((i) => i.id),
        ['one', 'three'],
      );
      assert.deepEqual(list.body.unreadable, ['two']);
      assertProblem(await t.request('GET', '/v1/cloud/contacts/two', { token: ana.token }), 422, 'item_unreadable');
      const other = await t.request<Api<'Item'>>('GET', '/v1/cloud/contacts/one', { token: ana.token });
      assert.deepEqual(other.body.data, { name: 'one' });

      const asked = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      await t.drainJobs();
      const status = await t.request<Api<'Export'>>('GET', `/v1/me/export/${asked.body.id}`, { token: ana.token });
      assert.equal(status.body.status, 'ready', status.text);
      assert.ok(status.body.download);
      const zip = await t.app.http.inject({
        method: 'GET',
        url: status.body.download,
        headers: { authorization: `Bearer ${ana.token}` },
      });
      const contacts = JSON.parse((await unzip(zip.rawPayload)).get('contacts.json')!.toString());
      assert.deepEqual(
        contacts.map((c: ExportedItem) => [c.id, c.data?.name, c.unreadable]),
        [
          ['one', 'one', undefined],
          ['three', 'three', undefined],
          ['two', undefined, true],
        ],
      );
    });

    test('a damaged session, security event or device row is named in "unreadable" while the rest of its list is answered', async () => {
      const ana = await t.signUp();
      const second = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: ana.email, password: ana.password },
      });
      for (const serial of ['SN-A', 'SN-B']) {
        const linked = await t.request('POST', '/v1/devices', {
          token: ana.token,
          body: { serial: `${serial}-${ana.id}`, model: 'Phone', name: `name ${serial}`, kind: 'phone' },
        });
        assert.equal(linked.status, 201, linked.text);
      }
      const db = t.app.database.db;
      const [damagedSession] = await db
        .selectFrom('sessions')
        .select('id')
        .where('account_id', '=', ana.id)
        .where('origin_sealed', 'is not', null)
        .limit(1)
        .execute();
      await db.updateTable('sessions').set({ origin_sealed: 'damaged' }).where('id', '=', damagedSession!.id).execute();
      const [damagedEvent] = await db
        .selectFrom('security_events')
        .select('id')
        .where('account_id', '=', ana.id)
        .where('origin_sealed', 'is not', null)
        .limit(1)
        .execute();
      await db
        .updateTable('security_events')
        .set({ origin_sealed: 'damaged' })
        .where('id', '=', damagedEvent!.id)
        .execute();
      const [damagedDevice] = await db
        .selectFrom('devices')
        .select('id')
        .where('account_id', '=', ana.id)
        .limit(1)
        .execute();
      await db.updateTable('devices').set({ name_sealed: 'damaged' }).where('id', '=', damagedDevice!.id).execute();

      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: second.body.token });
      assert.equal(sessions.status, 200, sessions.text);
      assert.deepEqual(sessions.body.unreadable, [damagedSession!.id]);
      assert.ok(sessions.body.sessions.length >= 3, 'every session is still listed, so the owner can end it');
      assert.equal(sessions.body.sessions.find((s) => s.id === damagedSession!.id)?.client, '');
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: second.body.token });
      assert.equal(events.status, 200, events.text);
      assert.deepEqual(events.body.unreadable, [damagedEvent!.id]);
      assert.ok(events.body.events.length > 1);
      const devices = await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: second.body.token });
      assert.equal(devices.status, 200, devices.text);
      assert.deepEqual(devices.body.unreadable, [damagedDevice!.id]);
      const [damaged, intact] = [
        devices.body.devices.find((d: Api<'Device'>) => d.id === damagedDevice!.id),
        devices.body.devices.find((d: Api<'Device'>) => d.id !== damagedDevice!.id),
      ];
      assert.ok(intact);
      assert.ok(damaged);
      assert.equal(damaged.name, '', 'listed, with the field that did not open empty');
      assert.match(intact.name, /^name SN-[AB]$/);
    });

    test('an export whose photo breaks mid-stream is retried with backoff, then shows "failed" with a reason, and can be asked again', async () => {
      const ana = await t.signUp();
      const photo = makeHeic(200_000); // several sealed chunks: the first opens, a later one does not
      const stored = await t.request('PUT', '/v1/cloud/photos/broken', {
        token: ana.token,
        payload: photo,
        headers: { 'content-type': 'image/heic' },
      });
      assert.equal(stored.status, 200, stored.text);
      await t.drainJobs();
      const [blob] = filesUnder(dataDir).filter((f) => f.includes(ana.id) && !f.endsWith('.thumb'));
      const bytes = fs.readFileSync(blob!);
      bytes[bytes.length - 5]! ^= 0xff;
      fs.writeFileSync(blob!, bytes);

      const asked = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      for (let attempt = 1; attempt <= 3; attempt++) {
        assert.equal(await t.drainJobs(), 1, `attempt ${attempt} runs`);
        const status = await t.request<Api<'Export'>>('GET', `/v1/me/export/${asked.body.id}`, { token: ana.token });
        assert.equal(status.body.status, attempt < 3 ? 'pending' : 'failed', `after attempt ${attempt}`);
        // Backoff: the retry is not due at once.
        assert.equal(await t.drainJobs(), 0);
        t.clock.advance(HOUR);
      }
      const failed = await t.request<Api<'Export'>>('GET', `/v1/me/export/${asked.body.id}`, { token: ana.token });
      assert.equal(failed.body.status, 'failed');
      assert.match(failed.body.error ?? '', /could not be made.*ask for a new one/);
      // Three hours on, the session is no longer fresh: the download and a new export ask the password again.
      await reauthenticate(t, ana);
      assertProblem(
        await t.request('GET', `/v1/me/export/${asked.body.id}/download`, { token: ana.token }),
        404,
        'not_found',
      );

      const again = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      assert.equal(again.status, 202);
      assert.notEqual(again.body.id, asked.body.id);
      assert.equal(again.body.status, 'pending');
      assert.equal((await t.request('GET', '/v1/me', { token: ana.token })).status, 200);
    });
  });
}
