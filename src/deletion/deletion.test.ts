import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activation, linkDevice } from '../devices/test-factories.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp } from '../testing/test-app.js';
import {
  CONFIRMATION_SENTENCE,
  deleteAccount,
  populate,
  requestDeletion,
  rowsOf,
  type Populated,
} from './test-helpers.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`account deletion, the whole flow (${database})`, () => {
    let t: TestApp;
    let victim: Populated;
    let other: Populated;
    before(async () => {
      t = await createTestApp({ database });
      victim = await populate(t, { devices: 2, items: 3, photos: 2 });
      other = await populate(t, { devices: 1, items: 2, photos: 1 });
    });
    after(() => t.close());

    test('GET /v1/me/deletion counts everything that would be lost and offers the export first', async () => {
      const summary = await t.request<Api<'DeletionSummary'>>('GET', '/v1/me/deletion', {
        token: victim.account.token,
      });
      assert.equal(summary.status, 200, summary.text);
      const { collections, photos, devices, apps, creditBalance, channels } = summary.body;
      for (const collection of ['contacts', 'notes', 'messages', 'app-data'] as const)
        assert.equal(collections[collection].count, 3);
      assert.equal(collections.notes.bytes > 0, true);
      assert.deepEqual(photos, { count: 2, bytes: 2 * victim.photo.length });
      assert.equal(devices.length, 2);
      for (const device of devices) {
        assert.equal(device.locked, true);
        assert.equal(device.signedIn, true);
      }
      assert.deepEqual(apps, []);
      assert.equal(creditBalance, 0);
      assert.deepEqual(channels, ['email', 'sms']);
      assert.deepEqual(summary.body.export.path, '/v1/me/export');
      assert.equal(
        summary.body.totalBytes,
        Object.values(collections as Record<string, { bytes: number }>).reduce((s, c) => s + c.bytes, 0),
      );
    });

    test('the request needs a fresh account session, the exact sentence and a channel the account has', async () => {
      const device = victim.devices[0]!;
      const byDevice = await t.request<Api<'Problem'>>('POST', '/v1/me/deletion', {
        token: device.token,
        body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
      });
      assertProblem(byDevice, 403, 'forbidden');
      const sloppy = await t.request<Api<'Problem'>>('POST', '/v1/me/deletion', {
        token: victim.account.token,
        body: { confirm: 'yes delete it', channel: 'email' },
      });
      assertProblem(sloppy, 400, 'validation_failed');
      const noPhone = await t.signUp({ email: uniqueEmail() });
      const sms = await t.request<Api<'Problem'>>('POST', '/v1/me/deletion', {
        token: noPhone.token,
        body: { confirm: CONFIRMATION_SENTENCE, channel: 'sms' },
      });
      assertProblem(sms, 400, 'channel_unavailable');
      t.clock.advance(11 * 60_000);
      const stale = await t.request<Api<'Problem'>>('POST', '/v1/me/deletion', {
        token: noPhone.token,
        body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
      });
      assertProblem(stale, 403, 'reauthentication_required');
      await reauthenticate(t, noPhone);
      assert.equal(
        (
          await t.request('POST', '/v1/me/deletion', {
            token: noPhone.token,
            body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
          })
        ).status,
        202,
      );
      // The victim's own session was made before the clock moved: fresh again for the rest of this suite.
      for (const account of [victim.account, other.account]) await reauthenticate(t, account);
    });

    test('the code goes by SMS too, says what it is for and what to do if the owner did not ask', async () => {
      const { body } = await requestDeletion(t, victim.account, 'sms');
      assert.equal(body.channel, 'sms');
      assert.equal(Date.parse(body.expiresAt) - t.clock.now(), 60_000);
      assert.equal(body.devices.length, 2);
      const message = t.messages.to(victim.account.phone).at(-1)!;
      assert.match(message.text, /delete your Lanyard account/);
      assert.match(message.text, /60 seconds/);
      assert.match(message.text, /If you did not ask for it/);
    });

    test('with devices linked and neither flag, the confirmation answers 409 devices_still_linked with the list and changes nothing', async () => {
      const { id, code } = await requestDeletion(t, victim.account);
      // The problem lists the devices still linked.
      const refused = await t.request<Api<'Problem'> & Pick<Api<'DeletionSummary'>, 'devices'>>(
        'POST',
        `/v1/me/deletion/${id}/confirm`,
        { token: victim.account.token, body: { code } },
      );
      assertProblem(refused, 409, 'devices_still_linked');
      assert.deepEqual(refused.body.devices.map((d) => d.id).sort(), victim.devices.map((d) => d.id).sort());
      assert.equal((await t.request('GET', '/v1/me', { token: victim.account.token })).status, 200);
    });

    test('the confirmation deletes the account at once: every token 401, sign-in fails, the key is gone, the owner is told', async () => {
      const { id, code } = await requestDeletion(t, victim.account);
      const confirmed = await t.request<Api<'DeletionConfirmed'>>('POST', `/v1/me/deletion/${id}/confirm`, {
        token: victim.account.token,
        body: { code, releaseDevices: true },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.equal(confirmed.body.status, 'deleted');
      assert.equal(confirmed.body.deletedAt, new Date(t.clock.now()).toISOString());
      // Before any job ran: the account is already gone for every purpose.
      for (const token of [victim.account.token, ...victim.sessions, ...victim.devices.map((d) => d.token)]) {
        assertProblem(await t.request('GET', '/v1/cloud', { token }), 401, 'unauthenticated');
      }
      for (const login of [victim.account.email, victim.account.phone, victim.account.id]) {
        assertProblem(
          await t.request('POST', '/v1/sessions', { body: { login, password: victim.account.password } }),
          401,
          'invalid_credentials',
        );
      }
      assert.equal(
        await t.app.keyRing.get(victim.account.id),
        undefined,
        'the data key was destroyed before the answer',
      );

      await t.drainJobs();
      for (const to of [victim.account.email, victim.account.phone]) {
        const last = t.messages.to(to).at(-1)!;
        assert.match(last.text, /was deleted/);
        assert.doesNotMatch(last.text, /\b\d{6}\b/);
      }
      for (const device of victim.devices)
        assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
    });

    test('after erasure no row of the account is left, only a tombstone and audit records without personal data', async () => {
      assert.deepEqual(await rowsOf(t.app, victim.account.id), {});
      const hash = t.app.services.deletion.accountHash(victim.account.id);
      const tombstone = await t.app.database.db
        .selectFrom('erasures')
        .selectAll()
        .where('account_hash', '=', hash)
        .executeTakeFirstOrThrow();
      assert.equal(tombstone.status, 'erased');
      assert.equal(tombstone.account_id, null);
      const steps = JSON.parse(tombstone.steps) as string[];
      assert.equal(steps[0], 'begin');
      assert.equal(steps[1], 'data_key', 'the data key is destroyed before anything else');
      assert.deepEqual(steps.slice(-2), database === 'sqlite' ? ['finish', 'checkpoint'] : ['sweep', 'finish']);
      assert.equal(tombstone.job_id, null);
      const audit = await t.app.database.db
        .selectFrom('audit_records')
        .selectAll()
        .where('subject', '=', hash)
        .orderBy('at')
        .execute();
      assert.deepEqual(
        audit.map((r) => r.action),
        ['account.deleted', 'account.erased'],
      );
      const text = JSON.stringify([tombstone, audit]);
      for (const needle of [victim.account.id, victim.account.email, victim.account.phone, victim.account.name])
        assert.ok(!text.includes(needle));
    });

    test('the other account is untouched: sessions, devices, data and photos all still work', async () => {
      const { account, devices, sessions } = other;
      for (const token of [account.token, ...sessions])
        assert.equal((await t.request('GET', '/v1/me', { token })).status, 200);
      const listed = await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: account.token });
      assert.deepEqual(
        listed.body.devices.map((d: { locked: boolean }) => d.locked),
        [true],
      );
      const notes = await t.request<Api<'Changes'>>('GET', '/v1/cloud/notes', { token: devices[0]!.token });
      assert.equal(notes.status, 200);
      assert.equal(notes.body.items.length, 2);
      assert.deepEqual(notes.body.items[0]?.data, { text: other.needles.markers.find((m) => m.includes('notes-0')) });
      const photo = await t.app.http.inject({
        method: 'GET',
        url: '/v1/cloud/photos/IMG_0',
        headers: { authorization: `Bearer ${account.token}` },
      });
      assert.ok(photo.rawPayload.equals(other.photo));
      assert.ok(await t.app.keyRing.get(account.id));
      assert.match((await activation(t, devices[0]!.serial)).body.ownerHint ?? '', /\*\*\*/);
    });

    test('the email and phone of the deleted account can sign up again at once', async () => {
      const again = await t.signUp({ email: victim.account.email });
      assert.notEqual(again.id, victim.account.id);
      const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token: again.token });
      assert.equal(me.body.email, victim.account.email);
      assert.equal(
        (await t.request('POST', '/v1/me/phone', { token: again.token, body: { phone: victim.account.phone } })).status,
        202,
      );
      await t.drainJobs();
      const phone = await t.request('POST', '/v1/me/phone/confirm', {
        token: again.token,
        body: { phone: victim.account.phone, code: t.messages.lastCode(victim.account.phone) },
      });
      assert.equal(phone.status, 200, phone.text);
    });
  });

  describe(`account deletion that keeps the device locks (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(() => t.close());

    test('acknowledged locks stay past the deletion: the serial stays locked without an owner hint, and nobody can link it', async () => {
      const owner = await populate(t, { devices: 2, items: 1, photos: 0 });
      const result = await deleteAccount(t, owner.account, { acknowledgeLockedDevices: true });
      assert.equal(result.keptLocks, 2);
      assert.match(t.messages.to(owner.account.email).at(-1)!.text, /2 devices stay locked/);
      assert.deepEqual(await rowsOf(t.app, owner.account.id), { device_locks: 2 });
      for (const device of owner.devices)
        assert.deepEqual((await activation(t, device.serial)).body, { locked: true, ownerHint: null });
      const stranger = await t.signUp();
      const taken = await t.request<Api<'Problem'>>('POST', '/v1/devices', {
        token: stranger.token,
        body: { serial: owner.devices[0]!.serial, model: 'Phone', name: 'Mine now', kind: 'phone' },
      });
      assertProblem(taken, 409, 'device.locked_to_other_account');
      // The stranger's own device links fine: the kept locks hold only their serials.
      await linkDevice(t, stranger);
    });

    test('an account without devices needs neither flag', async () => {
      const lonely = await t.signUp();
      const result = await deleteAccount(t, lonely, {});
      assert.equal(result.status, 'deleted');
      assert.deepEqual(await rowsOf(t.app, lonely.id), {});
    });
  });
}
