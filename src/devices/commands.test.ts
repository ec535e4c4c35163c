import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { activation, assertProblem, deviceIds, linkDevice } from './test-factories.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`Find Device (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    const states = async (token: string, deviceId: string) =>
      (await t.request<Api<'CommandList'>>('GET', `/v1/devices/${deviceId}/commands`, { token })).body.commands.map(
        (c: { type: string; state: string }) => `${c.type}:${c.state}`,
      );

    test('a ring goes queued → delivered → done, and a poll hands it over once', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'ring', message: 'Call me' },
      });
      assert.equal(sent.status, 202);
      assert.equal(sent.body.command.state, 'queued');
      assert.equal(sent.body.command.type, 'ring');
      assert.deepEqual(await states(owner.token, device.id), ['ring:queued']);

      const polled = await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token });
      assert.equal(polled.status, 200);
      assert.deepEqual(polled.body.commands, [
        { id: sent.body.command.id, type: 'ring', message: 'Call me', createdAt: sent.body.command.createdAt },
      ]);
      assert.deepEqual(await states(owner.token, device.id), ['ring:delivered']);
      assert.deepEqual(
        (await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token })).body
          .commands,
        [],
        'delivered once',
      );

      const answered = await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
        token: device.token,
        body: { status: 'done' },
      });
      assert.equal(answered.status, 204);
      assert.deepEqual(await states(owner.token, device.id), ['ring:done']);
      assertProblem(
        await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
          token: device.token,
          body: { status: 'failed' },
        }),
        409,
        'command.already_answered',
      );
      assert.deepEqual(await states(owner.token, device.id), ['ring:done'], 'a second answer changes nothing');
    });

    test('a locate that is done stores the last location, which the owner reads on the device', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      assert.equal(
        (await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${device.id}`, { token: owner.token })).body
          .lastLocation,
        null,
      );
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'locate' },
      });
      await t.request('GET', '/v1/device/commands', { token: device.token });
      t.clock.advance(30_000);
      const location = { lat: 40.4168, lon: -3.7038, accuracy: 12.5 };
      assert.equal(
        (
          await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
            token: device.token,
            body: { status: 'done', location },
          })
        ).status,
        204,
      );
      const view = await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${device.id}`, { token: owner.token });
      assert.equal(view.status, 200);
      assert.deepEqual(view.body.lastLocation, { ...location, at: new Date(t.clock.now()).toISOString() });
      assert.deepEqual(await states(owner.token, device.id), ['locate:done']);
    });

    test('a lock carries its message to the device, and a failed answer is shown as failed', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      await t.request('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'lock', message: 'Lost phone, call +34 600 000 000' },
      });
      const [command] = (
        await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token })
      ).body.commands;
      assert.ok(command);
      assert.equal(command.message, 'Lost phone, call +34 600 000 000');
      await t.request('POST', `/v1/device/commands/${command.id}/result`, {
        token: device.token,
        body: { status: 'failed' },
      });
      assert.deepEqual(await states(owner.token, device.id), ['lock:failed']);
    });

    test('commands are listed newest first and delivered oldest first', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      for (const type of ['ring', 'locate', 'lock']) {
        await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body: { type } });
        t.clock.advance(1000);
      }
      assert.deepEqual(await states(owner.token, device.id), ['lock:queued', 'locate:queued', 'ring:queued']);
      const polled = await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token });
      assert.deepEqual(
        polled.body.commands.map((c: { type: string }) => c.type),
        ['ring', 'locate', 'lock'],
      );
    });

    test('a command the device does not answer within 7 days is expired and no longer delivered', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const delivered = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'ring' },
      });
      await t.request('GET', '/v1/device/commands', { token: device.token });
      await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body: { type: 'locate' } });
      t.clock.advance(1000);
      const late = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'lock' },
      });
      t.clock.advance(7 * 24 * 60 * 60_000 - 500);
      assert.deepEqual(await states(owner.token, device.id), ['lock:queued', 'locate:expired', 'ring:expired']);
      const poll = await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token });
      assert.deepEqual(
        poll.body.commands.map((c: { id: string }) => c.id),
        [late.body.command.id],
      );
      assertProblem(
        await t.request('POST', `/v1/device/commands/${delivered.body.command.id}/result`, {
          token: device.token,
          body: { status: 'done' },
        }),
        409,
        'command.expired',
      );
      assert.deepEqual(await states(owner.token, device.id), ['lock:delivered', 'locate:expired', 'ring:expired']);
    });

    test('erase needs a fresh session; once done, the token ends but the device stays listed and locked', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(11 * 60_000);
      assertProblem(
        await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body: { type: 'erase' } }),
        403,
        'reauthentication_required',
      );
      assert.deepEqual(await states(owner.token, device.id), []);
      await reauthenticate(t, owner);
      const erase = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'erase' },
      });
      assert.equal(erase.status, 202);
      await t.request('GET', '/v1/device/commands', { token: device.token });
      assert.equal(
        (
          await t.request('POST', `/v1/device/commands/${erase.body.command.id}/result`, {
            token: device.token,
            body: { status: 'done' },
          })
        ).status,
        204,
      );

      assertProblem(await t.request('GET', '/v1/device/commands', { token: device.token }), 401, 'unauthenticated');
      const [listed] = (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body.devices;
      assert.ok(listed);
      assert.equal(listed.id, device.id);
      assert.equal(listed.locked, true);
      assert.equal(listed.tokenActive, false);
      assert.equal((await activation(t, device.serial)).body.locked, true);
      assertProblem(
        await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body: { type: 'ring' } }),
        409,
        'device.erased',
      );

      const setUpAgain = await linkDevice(t, owner, { serial: device.serial });
      assert.equal(setUpAgain.id, device.id);
      assert.equal((await t.request('GET', '/v1/device/commands', { token: setUpAgain.token })).status, 200);
    });

    test("a device cannot see or answer another device's commands", async () => {
      const owner = await t.signUp();
      const stranger = await t.signUp();
      const mine = await linkDevice(t, owner);
      const sibling = await linkDevice(t, owner);
      const foreign = await linkDevice(t, stranger);
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${mine.id}/commands`, {
        token: owner.token,
        body: { type: 'ring' },
      });
      assert.deepEqual(
        (await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: sibling.token })).body
          .commands,
        [],
      );
      assert.deepEqual(
        (await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: foreign.token })).body
          .commands,
        [],
      );
      for (const token of [sibling.token, foreign.token]) {
        assertProblem(
          await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
            token,
            body: { status: 'done' },
          }),
          404,
          'not_found',
        );
      }
      assert.deepEqual(await states(owner.token, mine.id), ['ring:queued']);
    });

    test('removing a device removes its commands with it', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'ring' },
      });
      assert.equal((await t.request('DELETE', `/v1/devices/${device.id}`, { token: owner.token })).status, 204);
      assertProblem(
        await t.request('GET', `/v1/devices/${device.id}/commands`, { token: owner.token }),
        404,
        'not_found',
      );
      assertProblem(
        await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
          token: device.token,
          body: { status: 'done' },
        }),
        401,
        'unauthenticated',
      );
      assert.deepEqual(await deviceIds(t, owner), []);
    });
  });
}
