import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { uniqueSerial } from '../devices/test-factories.js';
import { createTestApp, testDatabases, uniqueEmail, type TestAccount, type TestApp } from '../testing/test-app.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

// The simulator runs as its own process from the sources, against a real listening server.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// tsx is resolved from here: the simulator runs in a temporary folder, outside the package.
const NODE_ARGS = ['--import', import.meta.resolve('tsx'), MAIN];
const GUARD = { timeout: 60_000 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A long-running simulator whose output can be waited on. */
class Running {
  stdout = '';
  readonly exited: Promise<number>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  }
  /** Resolves when the output matches; fails if the process exits first. */
  async waitFor(pattern: RegExp): Promise<void> {
    while (!pattern.test(this.stdout)) {
      const exited = await Promise.race([
        this.exited.then(() => true),
        new Promise<false>((resolve) => this.child.stdout!.once('data', () => resolve(false))),
      ]);
      if (exited && !pattern.test(this.stdout))
        throw new Error(`the simulator exited without printing ${pattern}:\n${this.stdout}`);
    }
  }
}

for (const database of testDatabases()) {
  describe(`lanyard-device simulator (${database})`, () => {
    let t: TestApp;
    let server: string;
    let dir: string;

    before(async () => {
      t = await createTestApp({ database });
      await t.app.http.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.http.server.address();
      server = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-device-test-'));
    });
    after(async () => {
      await t.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    let stateCounter = 0;
    const newState = () => path.join(dir, `device-${++stateCounter}.json`);
    const run = (args: string[]): Promise<Run> =>
      new Promise((resolve) => {
        execFile(process.execPath, [...NODE_ARGS, ...args], { cwd: dir }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
    const start = (args: string[]) =>
      new Running(spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    const link = (owner: TestAccount, serial: string, state: string, extra: string[] = []) =>
      run([
        'link',
        '--server',
        server,
        '--login',
        owner.email!,
        '--password',
        owner.password,
        '--serial',
        serial,
        '--state',
        state,
        ...extra,
      ]);
    const commandStates = async (owner: TestAccount, deviceId: string) =>
      (
        await t.request<Api<'CommandList'>>('GET', `/v1/devices/${deviceId}/commands`, { token: owner.token })
      ).body.commands.map((c: { type: string; state: string }) => `${c.type}:${c.state}`);

    test(
      'link, status, answering commands, factory reset, linking again and signing out, end to end',
      GUARD,
      async () => {
        const owner = await t.signUp({ email: uniqueEmail('jane') });
        const serial = uniqueSerial();
        const state = newState();
        const linked = await link(owner, serial, state, ['--model', 'Redmi Note 13', '--name', 'Work phone']);
        assert.equal(linked.code, 0, linked.stderr);
        assert.match(
          linked.stdout,
          /Linked "Work phone" \(Redmi Note 13\) as device [0-9a-f-]{36}\. It is locked to your account\./,
        );
        const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
        assert.equal(saved.serial, serial);
        assert.equal(fs.statSync(state).mode & 0o077, 0, 'the state file holding the token is private');
        const [device] = (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body
          .devices;
        assert.ok(device);
        assert.equal(device.id, saved.deviceId);
        assert.equal(device.name, 'Work phone');
        const sessions = (await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: owner.token })).body
          .sessions;
        assert.deepEqual(
          sessions.map((s: { kind: string }) => s.kind).sort(),
          ['api', 'device'],
          'the session used to link was ended',
        );

        const status = await run(['status', '--state', state]);
        assert.equal(status.code, 0, status.stderr);
        assert.match(
          status.stdout,
          new RegExp(`Linked as device ${device.id}: "Work phone" \\(Redmi Note 13, phone\\)`),
        );
        assert.match(status.stdout, /Locked: yes/);

        for (const body of [
          { type: 'ring', message: 'Where are you?' },
          { type: 'lock', message: 'Lost: call +34 600 000 000' },
          { type: 'locate' },
        ]) {
          assert.equal(
            (await t.request('POST', `/v1/devices/${device.id}/commands`, { token: owner.token, body })).status,
            202,
          );
        }
        const listened = await run([
          'listen',
          '--once',
          '--state',
          state,
          '--lat',
          '41.3874',
          '--lon',
          '2.1686',
          '--accuracy',
          '8',
        ]);
        assert.equal(listened.code, 0, listened.stderr);
        assert.deepEqual(listened.stdout.trim().split('\n'), [
          'RING: Where are you?',
          'LOCKED: Lost: call +34 600 000 000',
          'LOCATED: 41.3874, 2.1686 (±8 m)',
        ]);
        assert.deepEqual(await commandStates(owner, device.id), ['locate:done', 'lock:done', 'ring:done']);
        const view = await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${device.id}`, { token: owner.token });
        assert.deepEqual(
          { ...view.body.lastLocation, at: undefined },
          { lat: 41.3874, lon: 2.1686, accuracy: 8, at: undefined },
        );
        assert.match((await run(['listen', '--once', '--state', state])).stdout, /No commands waiting\./);

        const reset = await run(['factory-reset', '--state', state]);
        assert.equal(reset.code, 0, reset.stderr);
        assert.match(reset.stdout, /Factory reset: the device forgot its token\./);
        assert.match(reset.stdout, /Activation lock: locked to j\*\*\*@e\*\*\*\.com\./);
        assert.match(
          (await run(['status', '--state', state])).stdout,
          /Not linked: this device holds no device token\./,
        );

        const again = await link(owner, serial, state, ['--model', 'Redmi Note 13', '--name', 'Work phone']);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, new RegExp(`as device ${device.id}\\.`), 'set up again as the same device');

        const wrong = await run(['sign-out', '--password', 'not my password', '--state', state]);
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /password is wrong.*\(invalid_credentials\)/);
        assert.equal(
          (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body.devices.length,
          1,
        );

        const out = await run(['sign-out', '--password', owner.password, '--state', state]);
        assert.equal(out.code, 0, out.stderr);
        assert.match(out.stdout, /Signed out/);
        assert.deepEqual(
          (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body.devices,
          [],
        );
        assert.match((await run(['factory-reset', '--state', state])).stdout, /Activation lock: none\./);
      },
    );

    test("linking a serial locked to another account fails and shows only the owner's hint", GUARD, async () => {
      const owner = await t.signUp({ email: uniqueEmail('kim') });
      const thief = await t.signUp();
      const serial = uniqueSerial();
      assert.equal((await link(owner, serial, newState())).code, 0);
      const state = newState();
      const stolen = await link(thief, serial, state);
      assert.equal(stolen.code, 1);
      assert.match(stolen.stderr, /locked to another account/);
      assert.match(stolen.stdout, /Activation lock: locked to k\*\*\*@e\*\*\*\.com\./);
      assert.equal(fs.existsSync(state), false, 'no token was stored');
      assert.deepEqual(
        (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: thief.token })).body.devices,
        [],
      );
    });

    test(
      'after a password change, a reset device cannot be set up again for 24 hours, and says until when',
      GUARD,
      async () => {
        const owner = await t.signUp();
        const serial = uniqueSerial();
        const state = newState();
        assert.equal((await link(owner, serial, state)).code, 0);
        t.clock.advance(60 * 60_000);
        await reauthenticate(t, owner); // a password change needs a fresh session
        const newPassword = 'changed by someone else';
        assert.equal(
          (
            await t.request('POST', '/v1/me/password', {
              token: owner.token,
              body: { currentPassword: owner.password, newPassword },
            })
          ).status,
          204,
        );
        const availableAt = new Date(t.clock.now() + 24 * 60 * 60_000).toISOString();
        await run(['factory-reset', '--state', state]);
        const refused = await run([
          'link',
          '--server',
          server,
          '--login',
          owner.email!,
          '--password',
          newPassword,
          '--serial',
          serial,
          '--state',
          state,
        ]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, new RegExp(`from ${availableAt.replace(/\./g, '\\.')}.*\\(activation_delayed\\)`));
        t.clock.advance(24 * 60 * 60_000);
        assert.equal(
          (
            await run([
              'link',
              '--server',
              server,
              '--login',
              owner.email!,
              '--password',
              newPassword,
              '--serial',
              serial,
              '--state',
              state,
            ])
          ).code,
          0,
        );
      },
    );

    test(
      'listen gets commands through the push channel as they are created, and stops after an erase',
      GUARD,
      async () => {
        const owner = await t.signUp();
        const state = newState();
        assert.equal((await link(owner, uniqueSerial(), state)).code, 0);
        const deviceId = JSON.parse(fs.readFileSync(state, 'utf8')).deviceId;
        const listener = start(['listen', '--state', state, '--interval', '1']);
        await listener.waitFor(/Listening for Find Device commands \(push channel\)\./);
        await t.request('POST', `/v1/devices/${deviceId}/commands`, {
          token: owner.token,
          body: { type: 'ring', message: 'hello' },
        });
        await listener.waitFor(/RING: hello/);
        await t.request('POST', `/v1/devices/${deviceId}/commands`, { token: owner.token, body: { type: 'erase' } });
        assert.equal(await listener.exited, 0, listener.stdout);
        assert.match(listener.stdout, /ERASED: this device was wiped and forgot its token/);
        assert.deepEqual(await commandStates(owner, deviceId), ['erase:done', 'ring:done']);
        assert.equal(JSON.parse(fs.readFileSync(state, 'utf8')).deviceToken, undefined);
        const [device] = (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: owner.token })).body
          .devices;
        assert.ok(device);
        assert.equal(device.locked, true);
        assert.equal(device.tokenActive, false);
      },
    );

    test('a listening device hears at once that it was removed from the account', GUARD, async () => {
      const owner = await t.signUp();
      const state = newState();
      assert.equal((await link(owner, uniqueSerial(), state)).code, 0);
      const deviceId = JSON.parse(fs.readFileSync(state, 'utf8')).deviceId;
      const listener = start(['listen', '--state', state]);
      await listener.waitFor(/push channel/);
      assert.equal((await t.request('DELETE', `/v1/devices/${deviceId}`, { token: owner.token })).status, 204);
      assert.equal(await listener.exited, 3, listener.stdout);
      assert.match(listener.stdout, /removed from the account/);
    });

    test('when the push channel is unavailable, listen falls back to polling', GUARD, async () => {
      // A proxy in front of the server that refuses event streams, as some corporate proxies do.
      const proxy = http.createServer((request, response) => {
        if (request.url?.startsWith('/v1/device/commands/stream')) {
          response
            .writeHead(503, { 'content-type': 'application/problem+json' })
            .end(JSON.stringify({ code: 'service_unavailable', detail: 'no streams here' }));
          return;
        }
        const upstream = http.request(
          `${server}${request.url}`,
          { method: request.method, headers: request.headers },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        request.pipe(upstream);
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const address = proxy.address();
        const viaProxy = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
        const owner = await t.signUp();
        const state = newState();
        const linked = await run([
          'link',
          '--server',
          viaProxy,
          '--login',
          owner.email!,
          '--password',
          owner.password,
          '--serial',
          uniqueSerial(),
          '--state',
          state,
        ]);
        assert.equal(linked.code, 0, linked.stderr);
        const deviceId = JSON.parse(fs.readFileSync(state, 'utf8')).deviceId;
        const listener = start(['listen', '--state', state, '--interval', '1']);
        await listener.waitFor(/Push channel unavailable \(no streams here\); polling every 1 s\./);
        await t.request('POST', `/v1/devices/${deviceId}/commands`, {
          token: owner.token,
          body: { type: 'ring', message: 'by polling' },
        });
        await listener.waitFor(/RING: by polling/);
        listener.child.kill('SIGTERM');
        assert.equal(await listener.exited, 0, listener.stdout);
        assert.deepEqual(await commandStates(owner, deviceId), ['ring:done']);
      } finally {
        proxy.closeAllConnections();
        await new Promise((resolve) => proxy.close(resolve));
      }
    });

    test(
      'sync uploads 2,500 contacts in batches, then exchanges edits, deletions and conflicts both ways',
      GUARD,
      async () => {
        const owner = await t.signUp();
        const state = newState();
        assert.equal((await link(owner, uniqueSerial(), state)).code, 0);
        const items = path.join(dir, `contacts-${stateCounter}.json`);
        const contacts: Record<string, unknown> = {};
        for (let i = 0; i < 2500; i++) contacts[`c${i}`] = { name: `Contact ${i}` };
        fs.writeFileSync(items, JSON.stringify(contacts));
        const first = await run(['sync', '--items', items, '--state', state]);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /2500 uploaded, 0 deleted, 0 conflicts .* 2500 items on the device/);
        const cloud = async () =>
          (await t.request<Api<'CloudSummary'>>('GET', '/v1/cloud', { token: owner.token })).body.collections.contacts
            .count;
        assert.equal(await cloud(), 2500);

        // On the device: an edit, a deletion, and an edit of an item that the web also edits (a conflict).
        const local = JSON.parse(fs.readFileSync(items, 'utf8'));
        local.c1 = { name: 'Contact 1, edited on the phone' };
        delete local.c2;
        local.c3 = { name: 'Contact 3, edited on the phone' };
        fs.writeFileSync(items, JSON.stringify(local));
        // Elsewhere: a new contact and an edit of c3.
        assert.equal(
          (
            await t.request('PUT', '/v1/cloud/contacts/from-web', {
              token: owner.token,
              body: { name: 'Added on the web' },
            })
          ).status,
          200,
        );
        assert.equal(
          (
            await t.request('PUT', '/v1/cloud/contacts/c3', {
              token: owner.token,
              body: { name: 'Contact 3, edited on the web' },
            })
          ).status,
          200,
        );

        const second = await run(['sync', '--items', items, '--state', state]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /1 uploaded, 1 deleted, 1 conflicts/);
        assert.deepEqual(
          (await t.request<Api<'Item'>>('GET', '/v1/cloud/contacts/c1', { token: owner.token })).body.data,
          {
            name: 'Contact 1, edited on the phone',
          },
        );
        assert.equal((await t.request('GET', '/v1/cloud/contacts/c2', { token: owner.token })).status, 404);
        const after = JSON.parse(fs.readFileSync(items, 'utf8'));
        assert.deepEqual(after['from-web'], { name: 'Added on the web' });
        assert.deepEqual(after.c3, { name: 'Contact 3, edited on the web' });
        assert.equal(Object.keys(after).length, 2500);
        assert.equal(await cloud(), 2500);

        const third = await run(['sync', '--items', items, '--state', state]);
        assert.match(
          third.stdout,
          /0 uploaded, 0 deleted, 0 conflicts .*, 0 refused; 0 downloaded, 0 removed; 2500 items on the device/,
        );
      },
    );

    test(
      'bootloader-unlock says when it may ask; after the wait it verifies the signature offline, also after a key rotation',
      GUARD,
      async () => {
        // The device checks the statement's expiry by its own clock: the server's starts at the real now.
        t.clock.set(Date.now());
        const owner = await t.signUp({ email: uniqueEmail('bea') });
        const serial = uniqueSerial();
        const state = newState();
        assert.equal((await link(owner, serial, state)).code, 0);
        const early = await run(['bootloader-unlock', '--state', state]);
        assert.equal(early.code, 1, early.stderr);
        const availableAt = new Date(t.clock.now() + 168 * 3_600_000).toISOString();
        assert.equal(early.stdout.trim(), `Not yet: this device may ask for a bootloader unlock from ${availableAt}.`);

        t.clock.advance(168 * 3_600_000);
        const first = await run(['bootloader-unlock', '--state', state]);
        assert.equal(first.code, 0, first.stderr);
        assert.match(
          first.stdout,
          new RegExp(`Bootloader unlock authorised for ${serial} until .+; the signature verifies with key \\S+\\.`),
        );
        // A rotation: the new key signs, and the device finds it among the published ones.
        const rotated = await t.app.services.bootloaderKeys.rotate({ retireAfterMs: 3_600_000 });
        const second = await run(['bootloader-unlock', '--state', state]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, new RegExp(`the signature verifies with key ${rotated.kid}\\.`));
      },
    );

    test(
      'bad usage exits 2 with the usage text; an unreachable server exits 1 with a clear message',
      GUARD,
      async () => {
        const missing = await run(['link', '--server', server, '--serial', 'X1', '--state', newState()]);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /missing --login, --password/);
        assert.match(missing.stderr, /Usage:/);
        const unknown = await run(['fly']);
        assert.equal(unknown.code, 2);
        const notLinked = await run(['status', '--state', path.join(dir, 'nothing.json')]);
        assert.equal(notLinked.code, 2);
        assert.match(notLinked.stderr, /run "lanyard-device link" first/);
        const down = await run([
          'link',
          '--server',
          'http://127.0.0.1:1',
          '--login',
          'a@example.com',
          '--password',
          'p',
          '--serial',
          'X1',
          '--state',
          newState(),
        ]);
        assert.equal(down.code, 1);
        assert.match(down.stderr, /Cannot reach http:\/\/127\.0\.0\.1:1/);
      },
    );
  });
}
