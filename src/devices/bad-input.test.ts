import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';
import { activation, assertProblem, linkDevice, uniqueSerial, type LinkedDevice } from './test-factories.js';
import type { Api } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`devices refuse bad input (${database})`, () => {
    let t: TestApp;
    let owner: TestAccount;
    let device: LinkedDevice;
    let snapshot: string;

    const listing = async () =>
      JSON.stringify((await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body);
    before(async () => {
      t = await createTestApp({ database });
      owner = await t.signUp();
      device = await linkDevice(t, owner);
      snapshot = await listing();
    });
    after(async () => t.close());

    const good = { serial: 'GOOD-SERIAL-1', model: 'Redmi Note 13', name: 'Phone', kind: 'phone' };
    const badLinks: [string, Record<string, unknown>, string][] = [
      ['a missing serial', { model: 'M', name: 'N', kind: 'phone' }, 'body.serial'],
      ['an empty serial', { ...good, serial: '' }, 'body.serial'],
      ['an oversized serial', { ...good, serial: 'S'.repeat(65) }, 'body.serial'],
      ['a serial with spaces', { ...good, serial: 'AB CD' }, 'body.serial'],
      ['an unknown kind', { ...good, kind: 'toaster' }, 'body.kind'],
      ['a missing model', { serial: 'X1', name: 'N', kind: 'phone' }, 'body.model'],
      ['a name with a line break', { ...good, name: 'a\nSubject: spam' }, 'body.name'],
      ['an oversized name', { ...good, name: 'n'.repeat(101) }, 'body.name'],
      ['a blank name', { ...good, name: '   ' }, 'body.name'],
      ['an IMEI that is not 15 digits', { ...good, imei: '12345' }, 'body.imei'],
      ['an unknown field', { ...good, color: 'red' }, 'body.color'],
      ['a serial that is a number', { ...good, serial: 12345 }, 'body.serial'],
    ];
    for (const [what, body, path] of badLinks) {
      test(`linking with ${what} is refused with validation_failed naming ${path}`, async () => {
        const refused = await t.request<Api<'Problem'>>('POST', '/v1/devices', { token: owner.token, body });
        assertProblem(refused, 400, 'validation_failed');
        assert.ok(
          refused.body.errors?.some((e) => e.path === path),
          refused.text,
        );
        assert.equal(await listing(), snapshot);
      });
    }

    test('linking without a session, or with a made-up token, is unauthenticated', async () => {
      assertProblem(await t.request('POST', '/v1/devices', { body: good }), 401, 'unauthenticated');
      assertProblem(
        await t.request('POST', '/v1/devices', { body: good, token: 'x'.repeat(43) }),
        401,
        'unauthenticated',
      );
      assert.deepEqual((await activation(t, good.serial)).body, { locked: false });
    });

    test('a body that is not JSON or is too large is refused', async () => {
      assertProblem(
        await t.request('POST', '/v1/devices', {
          token: owner.token,
          payload: '{"serial":',
          headers: { 'content-type': 'application/json' },
        }),
        400,
        'validation_failed',
      );
      assertProblem(
        await t.request('POST', '/v1/devices', { token: owner.token, body: { ...good, name: 'x'.repeat(70_000) } }),
        413,
        'payload_too_large',
      );
      assert.equal(await listing(), snapshot);
    });

    test('made-up device ids answer 404, oversized ones 400', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['DELETE', '', undefined],
        ['GET', '/commands', undefined],
        ['POST', '/commands', { type: 'ring' }],
      ] as const) {
        assertProblem(
          await t.request(method, `/v1/devices/01234567-89ab-7def-8123-456789abcdef${suffix}`, {
            token: owner.token,
            body,
          }),
          404,
          'not_found',
        );
      }
      assertProblem(
        await t.request('GET', `/v1/devices/${'x'.repeat(65)}`, { token: owner.token }),
        400,
        'validation_failed',
      );
      assert.equal(await listing(), snapshot);
    });

    test('commands of unknown types, with oversized messages or unknown fields are refused', async () => {
      for (const body of [
        { type: 'explode' },
        { type: 'ring', message: 'm'.repeat(201) },
        { type: 'ring', extra: 1 },
        {},
        { type: 'lock', message: 'bad\u0007bell' },
      ]) {
        assertProblem(
          await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body }),
          400,
          'validation_failed',
        );
      }
      assert.deepEqual(
        (await t.request<Api<'CommandList'>>('GET', `/v1/devices/${device.id}/commands`, { token: owner.token })).body
          .commands,
        [],
      );
    });

    test('bad answers to a command are refused and leave it delivered', async () => {
      const ring = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'ring' },
      });
      const locate = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'locate' },
      });
      await t.request('GET', '/v1/device/commands', { token: device.token });
      const answer = (id: string, body: unknown) =>
        t.request('POST', `/v1/device/commands/${id}/result`, { token: device.token, body });
      assertProblem(
        await answer(ring.body.command.id, { status: 'done', location: { lat: 1, lon: 2, accuracy: 3 } }),
        400,
        'validation_failed',
      );
      assertProblem(
        await answer(locate.body.command.id, { status: 'done', location: { lat: 91, lon: 0, accuracy: 5 } }),
        400,
        'validation_failed',
      );
      assertProblem(
        await answer(locate.body.command.id, { status: 'done', location: { lat: 1, lon: 2 } }),
        400,
        'validation_failed',
      );
      assertProblem(await answer(locate.body.command.id, { status: 'maybe' }), 400, 'validation_failed');
      assertProblem(await answer('01234567-89ab-7def-8123-456789abcdef', { status: 'done' }), 404, 'not_found');
      const commands = (
        await t.request<Api<'CommandList'>>('GET', `/v1/devices/${device.id}/commands`, { token: owner.token })
      ).body.commands;
      assert.deepEqual(
        commands.map((c: { state: string }) => c.state),
        ['delivered', 'delivered'],
      );
      assert.equal(
        (await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${device.id}`, { token: owner.token })).body
          .lastLocation,
        null,
      );
    });

    test('a revoked device token is unauthenticated everywhere a device goes', async () => {
      const gone = await linkDevice(t, owner);
      await t.request('DELETE', `/v1/devices/${gone.id}`, { token: owner.token });
      assertProblem(await t.request('GET', '/v1/device', { token: gone.token }), 401, 'unauthenticated');
      assertProblem(await t.request('GET', '/v1/device/commands', { token: gone.token }), 401, 'unauthenticated');
      assertProblem(
        await t.request('GET', '/v1/device/commands/stream', { token: gone.token }),
        401,
        'unauthenticated',
      );
      assertProblem(
        await t.request('POST', '/v1/device/sign-out', { token: gone.token, body: { password: owner.password } }),
        401,
        'unauthenticated',
      );
      assert.equal(await listing(), snapshot);
    });

    test('a HEAD request does not mark commands delivered', async () => {
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'ring' },
      });
      const head = await t.request('HEAD', '/v1/device/commands', { token: device.token });
      assert.ok(head.status >= 400 && head.status < 500, `HEAD answered ${head.status}`);
      const polled = await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token });
      assert.ok(polled.body.commands.some((c: { id: string }) => c.id === sent.body.command.id));
    });

    test('activation checks refuse serials that are oversized or malformed', async () => {
      assertProblem(await activation(t, 'S'.repeat(65)), 400, 'validation_failed');
      assertProblem(await activation(t, 'bad serial!'), 400, 'validation_failed');
      assert.deepEqual((await activation(t, uniqueSerial())).body, { locked: false });
    });
  });
}
