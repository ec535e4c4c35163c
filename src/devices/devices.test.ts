import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, uniqueEmail, uniquePhone, type TestApp } from '../testing/test-app.js';
import { activation, assertProblem, deviceIds, linkDevice, uniqueImei, uniqueSerial } from './test-factories.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`devices (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('linking a device returns it with a device token, lists it, and tells the owner', async () => {
      const owner = await t.signUp({ email: uniqueEmail('jane') });
      const serial = uniqueSerial();
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: owner.token,
        body: { serial, model: 'Redmi Note 13', name: "Jane's phone", kind: 'phone', imei: uniqueImei() },
      });
      assert.equal(linked.status, 201);
      assert.match(linked.body.deviceToken, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(linked.body.device.name, "Jane's phone");
      assert.equal(linked.body.device.locked, true);

      const listed = await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.devices.length, 1);
      const [device] = listed.body.devices;
      assert.ok(device);
      for (const field of ['id', 'name', 'model', 'kind', 'linkedAt', 'lastSeenAt', 'locked'])
        assert.ok(field in device, `${field} is listed`);
      assert.equal(device.id, linked.body.device.id);
      assert.equal(device.kind, 'phone');
      assert.equal(device.locked, true);
      assert.equal(device.linkedAt, new Date(t.clock.now()).toISOString());

      const self = await t.request<Api<'DeviceDetail'>>('GET', '/v1/device', { token: linked.body.deviceToken });
      assert.equal(self.status, 200);
      assert.equal(self.body.id, device.id);
      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: owner.token });
      assert.equal(sessions.body.sessions.filter((s: { kind: string }) => s.kind === 'device').length, 1);

      await t.drainJobs();
      const notice = t.messages.to(owner.email!).at(-1)!;
      assert.match(notice.subject, /A new Redmi Note 13 was linked to your Lanyard account/);
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: owner.token });
      assert.ok(events.body.events.some((e: { type: string }) => e.type === 'device.linked'));
    });

    test('a device seen later shows a later lastSeenAt', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(5 * 60_000);
      assert.equal((await t.request('GET', '/v1/device/commands', { token: device.token })).status, 200);
      const [listed] = (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body.devices;
      assert.ok(listed);
      assert.equal(listed.lastSeenAt, new Date(t.clock.now()).toISOString());
      assert.ok(listed.lastSeenAt > listed.linkedAt);
    });

    test('a serial locked to another account cannot be linked, and the answer names no owner', async () => {
      const owner = await t.signUp({ email: uniqueEmail('owner') });
      const thief = await t.signUp();
      const device = await linkDevice(t, owner);
      const attempt = await t.request<Api<'Problem'>>('POST', '/v1/devices', {
        token: thief.token,
        body: { serial: device.serial.toLowerCase(), model: 'Redmi Note 13', name: 'mine now', kind: 'phone' },
      });
      assertProblem(attempt, 409, 'device.locked_to_other_account');
      assert.doesNotMatch(attempt.text, new RegExp(`${owner.id}|${owner.email}|o\\*\\*\\*`));
      assert.deepEqual(await deviceIds(t, thief), []);
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
      assert.equal(
        (await t.request('GET', '/v1/device', { token: device.token })).status,
        200,
        "the owner's device keeps working",
      );
    });

    test('an IMEI locked to another account cannot be linked under another serial', async () => {
      const owner = await t.signUp();
      const other = await t.signUp();
      const imei = uniqueImei();
      await linkDevice(t, owner, { imei });
      const attempt = await t.request<Api<'Problem'>>('POST', '/v1/devices', {
        token: other.token,
        body: { serial: uniqueSerial(), model: 'M', name: 'N', kind: 'phone', imei },
      });
      assertProblem(attempt, 409, 'device.locked_to_other_account');
      assert.deepEqual(await deviceIds(t, other), []);
      assert.equal((await activation(t, imei)).body.locked, true, 'the IMEI is looked up too');
    });

    test('two accounts linking one serial at the same time: exactly one wins', async () => {
      const a = await t.signUp();
      const b = await t.signUp();
      const serial = uniqueSerial();
      const body = { serial, model: 'M', name: 'N', kind: 'phone' };
      const results = await Promise.all(
        [a, b, a, b].map((who) => t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', { token: who.token, body })),
      );
      const winners = new Set(results.filter((r) => r.status === 201).map((r) => r.body.device.id));
      const owners = [(await deviceIds(t, a)).length, (await deviceIds(t, b)).length];
      assert.deepEqual(
        owners.sort(),
        [0, 1],
        `one account holds the device: ${results.map((r) => r.status).join(',')}`,
      );
      assert.equal(winners.size, 1);
      for (const loser of results.filter((r) => r.status !== 201)) assert.ok(loser.status === 409, loser.text);
    });

    test('re-linking by the same account keeps one device and replaces its token', async () => {
      const owner = await t.signUp();
      const first = await linkDevice(t, owner, { name: 'Old name' });
      const again = await linkDevice(t, owner, { serial: first.serial, name: 'New name' });
      assert.equal(again.id, first.id);
      assert.deepEqual(await deviceIds(t, owner), [first.id]);
      assertProblem(await t.request('GET', '/v1/device', { token: first.token }), 401, 'unauthenticated');
      const self = await t.request<Api<'DeviceDetail'>>('GET', '/v1/device', { token: again.token });
      assert.equal(self.body.name, 'New name');
    });

    test('the activation check answers locked with a masked email hint, or not locked', async () => {
      const owner = await t.signUp({ email: uniqueEmail('jane') });
      const device = await linkDevice(t, owner);
      const locked = await activation(t, device.serial);
      assert.equal(locked.status, 200);
      assert.deepEqual(locked.body, { locked: true, ownerHint: 'j***@e***.com' });
      assert.deepEqual((await activation(t, device.serial.toLowerCase())).body, {
        locked: true,
        ownerHint: 'j***@e***.com',
      });
      assert.deepEqual((await activation(t, uniqueSerial())).body, { locked: false });
    });

    test('an account with only a phone is hinted by country code and last digits', async () => {
      const phone = uniquePhone();
      const owner = await t.signUp({ phone });
      const device = await linkDevice(t, owner);
      assert.deepEqual((await activation(t, device.serial)).body, {
        locked: true,
        ownerHint: `+34 *** *** ${phone.slice(-3)}`,
      });
    });

    test('activation checks from one IP are rate-limited with Retry-After', async () => {
      const serial = uniqueSerial();
      let last;
      for (let i = 0; i < 31; i++)
        last = await t.request<Api<'Activation'>>('GET', `/v1/activation/${serial}`, { ip: '10.77.0.1' });
      assertProblem(last!, 429, 'rate_limited');
      assert.ok(Number(last!.headers['retry-after']) > 0);
      assert.equal(
        (await t.request('GET', `/v1/activation/${serial}`, { ip: '10.77.0.2' })).status,
        200,
        'another IP is not affected',
      );
    });

    test('removing a device needs a fresh session, then revokes its token and releases its lock', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(11 * 60_000);
      assertProblem(
        await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token }),
        403,
        'reauthentication_required',
      );
      assert.deepEqual(await deviceIds(t, owner), [device.id]);

      await reauthenticate(t, owner);
      const removed = await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token });
      assert.equal(removed.status, 204);
      assert.deepEqual(await deviceIds(t, owner), []);
      assertProblem(await t.request('GET', '/v1/device', { token: device.token }), 401, 'unauthenticated');
      assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
      assertProblem(await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token }), 404, 'not_found');
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: owner.token });
      assert.ok(events.body.events.some((e: { type: string }) => e.type === 'device.removed'));

      const buyer = await t.signUp();
      await linkDevice(t, buyer, { serial: device.serial });
    });

    test("another account's device id answers 404 everywhere, and the device is untouched", async () => {
      const owner = await t.signUp();
      const stranger = await t.signUp();
      const device = await linkDevice(t, owner);
      assertProblem(await t.request('GET', `/v1/devices/${device.id}`, { token: stranger.token }), 404, 'not_found');
      assertProblem(await t.request('DELETE', `/v1/devices/${device.id}`, { token: stranger.token }), 404, 'not_found');
      assertProblem(
        await t.request('POST', `/v1/devices/${device.id}/commands`, { token: stranger.token, body: { type: 'ring' } }),
        404,
        'not_found',
      );
      assertProblem(
        await t.request('GET', `/v1/devices/${device.id}/commands`, { token: stranger.token }),
        404,
        'not_found',
      );
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
      assert.equal((await t.request('GET', '/v1/device', { token: device.token })).status, 200);
    });

    test('a device token cannot manage devices, and an account session cannot act as a device', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      assertProblem(await t.request('GET', '/v1/devices', { token: device.token }), 403, 'forbidden');
      assertProblem(await t.request('DELETE', `/v1/devices/${device.id}`, { token: device.token }), 403, 'forbidden');
      assertProblem(
        await t.request('POST', '/v1/devices', {
          token: device.token,
          body: { serial: uniqueSerial(), model: 'M', name: 'N', kind: 'phone' },
        }),
        403,
        'forbidden',
      );
      assertProblem(
        await t.request('POST', '/v1/device/sign-out', { token: owner.token, body: { password: owner.password } }),
        403,
        'forbidden',
      );
      assertProblem(await t.request('GET', '/v1/device/commands', { token: owner.token }), 403, 'forbidden');
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
    });

    test('signing out on the device with a wrong password changes nothing; the right one unlinks it', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/device/sign-out', {
        token: device.token,
        body: { password: 'not the password' },
      });
      assertProblem(wrong, 401, 'invalid_credentials');
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
      assert.equal((await t.request('GET', '/v1/device', { token: device.token })).status, 200);
      assert.equal((await activation(t, device.serial)).body.locked, true);

      assert.equal(
        (await t.request('POST', '/v1/device/sign-out', { token: device.token, body: { password: owner.password } }))
          .status,
        204,
      );
      assert.deepEqual(await deviceIds(t, owner), []);
      assertProblem(await t.request('GET', '/v1/device', { token: device.token }), 401, 'unauthenticated');
      assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
    });

    test('wrong passwords on device sign-out are rate-limited like sign-in', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const ip = '10.78.0.1';
      for (let i = 0; i < 10; i++) {
        assertProblem(
          await t.request('POST', '/v1/device/sign-out', { token: device.token, ip, body: { password: `wrong ${i}` } }),
          401,
          'invalid_credentials',
        );
      }
      assertProblem(
        await t.request('POST', '/v1/device/sign-out', { token: device.token, ip, body: { password: owner.password } }),
        429,
        'rate_limited',
      );
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
    });

    test('after a password change, a device reset and set up again is refused for 24 hours', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(60 * 60_000);
      await reauthenticate(t, owner); // a password change needs a fresh session
      const changed = await t.request('POST', '/v1/me/password', {
        token: owner.token,
        body: { currentPassword: owner.password, newPassword: 'a brand new passphrase' },
      });
      assert.equal(changed.status, 204, changed.text);
      const changedAt = t.clock.now();

      t.clock.advance(2 * 60 * 60_000);
      const body = { serial: device.serial, model: 'Redmi Note 13', name: 'set up again', kind: 'phone' };
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/devices', { token: owner.token, body });
      assertProblem(refused, 403, 'activation_delayed');
      const availableAt = new Date(changedAt + 24 * 60 * 60_000).toISOString();
      assert.equal(refused.body.availableAt, availableAt);
      assert.ok(refused.body.detail.includes(availableAt), refused.body.detail);
      assert.equal(
        (await t.request('GET', '/v1/device', { token: device.token })).status,
        200,
        'nothing changed: the old token still works',
      );
      assert.equal(
        (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body.devices[0]?.name,
        'Test phone',
      );

      t.clock.set(changedAt + 24 * 60 * 60_000);
      const accepted = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', { token: owner.token, body });
      assert.equal(accepted.status, 201, accepted.text);
      assert.equal(accepted.body.device.id, device.id);
    });

    test('after a password change, the lock of an earlier device cannot be released for 24 hours, by removal or by sign-out', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(60 * 60_000);
      await reauthenticate(t, owner); // a password change needs a fresh session
      const newPassword = 'the thief chose this one';
      assert.equal(
        (
          await t.request('POST', '/v1/me/password', {
            token: owner.token,
            body: { currentPassword: owner.password, newPassword },
          })
        ).status,
        204,
      );
      const changedAt = t.clock.now();
      await reauthenticate(t, owner, newPassword);
      assertProblem(
        await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token }),
        403,
        'activation_delayed',
      );
      assertProblem(
        await t.request('POST', '/v1/device/sign-out', { token: device.token, body: { password: newPassword } }),
        403,
        'activation_delayed',
      );
      assert.deepEqual((await activation(t, device.serial)).body.locked, true);
      assert.deepEqual(await deviceIds(t, owner), [device.id]);

      t.clock.set(changedAt + 24 * 60 * 60_000);
      await reauthenticate(t, owner, newPassword);
      assert.equal((await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token })).status, 204);
      assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
    });

    test('a device first linked after the password change can be set up again at once', async () => {
      const owner = await t.signUp();
      await t.request('POST', '/v1/me/password', {
        token: owner.token,
        body: { currentPassword: owner.password, newPassword: 'another new passphrase' },
      });
      t.clock.advance(60_000);
      const device = await linkDevice(t, owner);
      t.clock.advance(60_000);
      const again = await linkDevice(t, owner, { serial: device.serial });
      assert.equal(again.id, device.id);
    });
  });
}
