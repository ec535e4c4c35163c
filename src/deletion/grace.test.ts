import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activation } from '../devices/test-factories.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { populate, requestDeletion, rowsOf, type Populated } from './test-helpers.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const DAY = 86_400_000;

for (const database of testDatabases()) {
  describe(`deletion with a grace period (${database})`, () => {
    let t: TestApp;
    let victim: Populated;
    let cancelToken: string;
    before(async () => {
      t = await createTestApp({
        database,
        env: { LANYARD_DELETION_GRACE_DAYS: '7', LANYARD_BASE_URL: 'https://id.example.com' },
      });
      victim = await populate(t, { devices: 1, items: 2, photos: 1 });
    });
    after(() => t.close());

    const confirmDeletion = async () => {
      const { id, code } = await requestDeletion(t, victim.account);
      const confirmed = await t.request<Api<'DeletionConfirmed'>>('POST', `/v1/me/deletion/${id}/confirm`, {
        token: victim.account.token,
        body: { code, releaseDevices: true },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      await t.drainJobs();
      return confirmed.body;
    };
    const signIn = () =>
      t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: victim.account.email, password: victim.account.password },
      });

    test('the account is locked out at once, erased only after the period, and the message carries a cancel link', async () => {
      const result = await confirmDeletion();
      assert.equal(result.status, 'scheduled');
      assert.ok(result.eraseAt, 'a scheduled deletion says when it is erased');
      assert.equal(Date.parse(result.eraseAt) - Date.parse(result.deletedAt), 7 * DAY);
      for (const token of [victim.account.token, ...victim.sessions, victim.devices[0]!.token])
        assertProblem(await t.request('GET', '/v1/me', { token }), 401, 'unauthenticated');
      assertProblem(await signIn(), 401, 'invalid_credentials');
      const message = t.messages.to(victim.account.email).at(-1)!;
      assert.match(message.text, /will be erased for good/);
      const link = /https:\/\/id\.example\.com\/account\/cancel-deletion#token=([A-Za-z0-9_-]+)/.exec(message.text);
      assert.ok(link, message.text);
      cancelToken = link[1]!;
      // Nothing is erased yet: the rows and the data key are there, the lock still held.
      assert.ok((await rowsOf(t.app, victim.account.id)).cloud_items! > 0);
      assert.ok(await t.app.keyRing.get(victim.account.id));
      assert.deepEqual((await activation(t, victim.devices[0]!.serial)).body, { locked: true, ownerHint: null });
    });

    test('the link opens a page; the cancel restores the account once, with its data and devices', async () => {
      const page = await t.request('GET', `/v1/deletion/cancel?token=${cancelToken}`);
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /text\/html/);
      // The page's script reads the token from the address; the page itself never echoes it.
      assert.ok(!page.text.includes(cancelToken));
      assert.match(page.text, /URLSearchParams\(location\.search\)\.get\('token'\)/);
      assert.ok((await rowsOf(t.app, victim.account.id)).accounts, 'opening the page changed nothing');
      assertProblem(await signIn(), 401, 'invalid_credentials');

      const cancelled = await t.request<Api<'DeletionCancelled'>>('POST', '/v1/deletion/cancel', {
        body: { token: cancelToken },
      });
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.deepEqual(cancelled.body, { status: 'active' });
      assertProblem(await t.request('POST', '/v1/deletion/cancel', { body: { token: cancelToken } }), 404, 'not_found');
      const session = await signIn();
      assert.equal(session.status, 201);
      victim.account.token = session.body.token;
      const note = await t.request<Api<'Item'>>('GET', '/v1/cloud/notes/item-0', { token: victim.account.token });
      assert.deepEqual(note.body.data, { text: victim.needles.markers.find((m) => m.includes('notes-0')) });
      assert.match((await activation(t, victim.devices[0]!.serial)).body.ownerHint ?? '', /\*\*\*/);
      t.clock.advance(8 * DAY);
      await t.drainJobs();
      assert.equal(
        (await t.request('GET', '/v1/me', { token: victim.account.token })).status,
        200,
        'the cancelled erasure never runs',
      );
    });

    test('without a cancel, the erasure runs when the period ends: data, key and locks gone, the link dead', async () => {
      await reauthenticate(t, victim.account);
      await confirmDeletion();
      const token = /token=([A-Za-z0-9_-]+)/.exec(t.messages.to(victim.account.email).at(-1)!.text)![1]!;
      t.clock.advance(7 * DAY - 1000);
      await t.drainJobs();
      assert.ok((await rowsOf(t.app, victim.account.id)).accounts, 'not before the end of the period');
      t.clock.advance(1000);
      await t.drainJobs();
      assert.deepEqual(await rowsOf(t.app, victim.account.id), {});
      assert.equal(await t.app.keyRing.get(victim.account.id), undefined);
      assert.deepEqual((await activation(t, victim.devices[0]!.serial)).body, { locked: false });
      assertProblem(await t.request('POST', '/v1/deletion/cancel', { body: { token } }), 404, 'not_found');
      const hash = t.app.services.deletion.accountHash(victim.account.id);
      const audit = await t.app.database.db
        .selectFrom('audit_records')
        .select('action')
        .where('subject', '=', hash)
        .orderBy('at')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((a) => a.action),
        [
          'account.deletion_scheduled',
          'account.deletion_cancelled',
          'account.deletion_scheduled',
          'account.deleted',
          'account.erased',
        ],
      );
      // Only now are the addresses free again.
      await t.signUp({ email: victim.account.email });
    });
  });
}
