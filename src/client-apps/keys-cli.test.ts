import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createCliDatabase, runCli, startServer, tempDataDir, type CliDatabase } from '../testing/cli.js';
import { testDatabases } from '../testing/test-app.js';

// `lanyard keys rotate` and `lanyard keys rotate-bootloader`, as an operator runs them beside a running server.

for (const database of testDatabases()) {
  describe(`lanyard keys (${database})`, () => {
    let dataDir: string;
    let store: CliDatabase;
    let env: Record<string, string>;
    before(async () => {
      dataDir = path.join(tempDataDir(), 'data');
      store = await createCliDatabase(database);
      env = { LANYARD_DATA_DIR: dataDir, ...store.env };
    });
    after(async () => {
      await store.drop();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    });

    test('adds a key that the server publishes beside the old one, which stays until retired; bad hours are refused', async () => {
      const jwks = async (url: string) =>
        ((await (await fetch(`${url}/oauth/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> }).keys;
      let server = await startServer(env);
      const [first] = await jwks(server.url);
      await server.process.stop();

      const rotated = await runCli(['keys', 'rotate', '--sign-after-hours', '0'], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      const kid = /Added signing key (\S+):/.exec(rotated.stdout)?.[1];
      assert.ok(kid, rotated.stdout);

      server = await startServer(env);
      try {
        const keys = await jwks(server.url);
        assert.deepEqual(
          keys.map((k) => k.kid),
          [kid, first!.kid],
          'the new key signs (first), the old one is still published',
        );
        assert.ok(
          keys.every((k) => k.d === undefined),
          'no private part',
        );
      } finally {
        await server.process.stop();
      }

      const bad = await runCli(['keys', 'rotate', '--sign-after-hours', 'soon'], env);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--sign-after-hours must be a number of hours/);
    });

    test('rotate-bootloader adds a bootloader key that is published first, the old one still listed; bad hours are refused', async () => {
      const published = async (url: string) =>
        ((await (await fetch(`${url}/v1/bootloader/key`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
          (k) => k.kid,
        );
      let server = await startServer(env);
      const before = await published(server.url);
      await server.process.stop();

      const rotated = await runCli(['keys', 'rotate-bootloader', '--retire-after-hours', '48'], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      const kid = /Added bootloader key (\S+):/.exec(rotated.stdout)?.[1];
      assert.ok(kid, rotated.stdout);
      server = await startServer(env);
      try {
        assert.deepEqual(
          await published(server.url),
          [kid, ...before],
          'the new key signs (first), the old ones are still published',
        );
      } finally {
        await server.process.stop();
      }
      const bad = await runCli(['keys', 'rotate-bootloader', '--retire-after-hours=-1'], env);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--retire-after-hours must be a number of hours/);
    });
  });
}
