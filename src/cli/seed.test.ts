import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { maskEmail } from '../accounts/addresses.js';
import { Seeder } from './seed.js';
import {
  createCliDatabase,
  runCli,
  startServer,
  tempDataDir,
  type CliDatabase,
  type RunningServer,
} from '../testing/cli.js';
import { testDatabases } from '../testing/test-app.js';

async function call(base: string, method: string, url: string, options: { body?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${url}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

for (const database of testDatabases()) {
  describe(`lanyard seed (${database})`, () => {
    let dataDir: string;
    let store: CliDatabase;
    let server: RunningServer | undefined;

    before(async () => {
      dataDir = tempDataDir();
      store = await createCliDatabase(database);
    });
    after(async () => {
      await server?.process.stop();
      await store.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('seeds accounts that sign in with the printed password and list their locked devices', async () => {
      // PostgreSQL through --database, SQLite in the data folder.
      const databaseArgs = store.env.LANYARD_DATABASE_URL ? ['--database', store.env.LANYARD_DATABASE_URL] : [];
      const seeded = await runCli(['seed', '--accounts', '50', ...databaseArgs], { LANYARD_DATA_DIR: dataDir });
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.match(seeded.stdout, /Seeded 50 accounts, 150 devices and 50 contacts/);
      const [, first, last] = /Emails: (\S+) … (\S+)/.exec(seeded.stdout)!;
      const [, password] = /Password \(all of them, one shared argon2id hash\): (.+)/.exec(seeded.stdout)!;
      const [, firstSerial] = /Serials: (\S+) …/.exec(seeded.stdout)!;

      // A second run refuses to add to a database that has accounts, unless told to append.
      const again = await runCli(['seed', '--accounts', '5', ...databaseArgs], { LANYARD_DATA_DIR: dataDir });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already holds 50 account\(s\); pass --append/);
      const bad = await runCli(['seed', '--accounts', 'many'], { LANYARD_DATA_DIR: dataDir });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--accounts must be a whole number/);

      server = await startServer({ LANYARD_DATA_DIR: dataDir, ...store.env });
      for (const email of [first!, last!]) {
        const signedIn = await call(server.url, 'POST', '/v1/sessions', {
          body: { login: email, password, kind: 'api' },
        });
        assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));
        const token = signedIn.body.token;
        const me = await call(server.url, 'GET', '/v1/me', { token });
        assert.equal(me.status, 200);
        assert.equal(me.body.email, email);
        const devices = await call(server.url, 'GET', '/v1/devices', { token });
        assert.equal(devices.status, 200);
        assert.equal(devices.body.devices.length, 3);
        // Names were sealed under the account's own key: they open as "<model> <n>", n = 1 to 3.
        assert.deepEqual(
          devices.body.devices
            .map((d: { name: string; model: string; locked: boolean }) => [
              d.locked,
              d.name.startsWith(`${d.model} `),
              d.name.slice(-1),
            ])
            .sort(),
          [
            [true, true, '1'],
            [true, true, '2'],
            [true, true, '3'],
          ],
        );
      }
      const wrong = await call(server.url, 'POST', '/v1/sessions', {
        body: { login: first, password: `${password} not`, kind: 'api' },
      });
      assert.equal(wrong.status, 401);

      // The first serial is locked to the first account, whose masked email the check shows.
      const activation = await call(server.url, 'GET', `/v1/activation/${firstSerial}`);
      assert.equal(activation.status, 200);
      assert.equal(activation.body.locked, true);
      assert.equal(activation.body.ownerHint, maskEmail(first!));
    });

    test('the benches seed a running server through the same Seeder: sessions they hold, items in a cloud', async () => {
      assert.ok(server, 'the server of the test before');
      const target = {
        dataDir,
        databaseUrl: store.env.LANYARD_DATABASE_URL,
        keyringUrl: undefined,
        masterKey: undefined,
      };
      const seeder = await Seeder.open(target, { devicesPerAccount: 1, contacts: 0 }, { migrate: false });
      try {
        assert.equal(await seeder.existingAccounts(), 50);
        await seeder.growTo(2);
        await seeder.settle();
        // A seeded session's token, known only to the seeder, is a working bearer token.
        const token = seeder.tokenOf(1);
        const me = await call(server.url, 'GET', '/v1/me', { token });
        assert.equal(me.status, 200);
        assert.equal(me.body.email, seeder.emailOf(1));

        const notes = ['first', 'second', 'third'].map((title, n) => ({
          collection: n === 2 ? 'contacts' : 'notes',
          itemId: `note-${n}`,
          text: JSON.stringify({ title }),
        }));
        await seeder.addItems(me.body.id, notes.length, (n) => notes[n]!, 2);
        const cloud = await call(server.url, 'GET', '/v1/cloud', { token });
        assert.equal(cloud.status, 200);
        assert.equal(cloud.body.collections.notes.count, 2);
        assert.equal(cloud.body.collections.contacts.count, 1);
        const second = await call(server.url, 'GET', '/v1/cloud/notes/note-1', { token });
        assert.equal(second.status, 200, JSON.stringify(second.body));
        assert.deepEqual([second.body.data, second.body.version], [{ title: 'second' }, 1]);
        // The counter row came with the last batch: what the API writes next is the one change after them.
        const listed = await call(server.url, 'GET', '/v1/cloud/notes', { token });
        assert.deepEqual(
          listed.body.items.map((item: { id: string }) => item.id),
          ['note-0', 'note-1'],
        );
        const put = await call(server.url, 'PUT', '/v1/cloud/notes/note-3', { token, body: { title: 'fourth' } });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const changes = await call(
          server.url,
          'GET',
          `/v1/cloud/notes?since=${encodeURIComponent(listed.body.cursor)}`,
          {
            token,
          },
        );
        assert.deepEqual(
          changes.body.items.map((item: { id: string }) => item.id),
          ['note-3'],
        );
      } finally {
        await seeder.close();
      }
    });
  });
}
