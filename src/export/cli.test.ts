import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createApp, type App } from '../app.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { CapturingTransport, TEST_POSTGRES_URL, testDatabases, uniqueEmail } from '../testing/test-app.js';
import { createTestSchema, dropTestSchema } from '../testing/pg-schema.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The command line reads its database from the environment, as an operator's shell would: the app here
// keeps its SQLite database as a file in its data folder, or its PostgreSQL tables in a schema of its own.
for (const database of testDatabases()) {
  describe(`lanyard export (${database})`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-export-cli-'));
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const messages = new CapturingTransport();
    const env: Record<string, string> = {
      LANYARD_DATA_DIR: dataDir,
      LANYARD_LOG_LEVEL: 'silent',
      LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0',
    };
    let app: App;
    let accountId: string;

    before(async () => {
      if (database === 'postgres') {
        await createTestSchema(schema);
        env.LANYARD_DATABASE_URL = `${TEST_POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      }
      app = await createApp({
        config: loadConfig(env),
        clock: new ManualClock(Date.UTC(2026, 10, 25)),
        transport: messages,
        logger: false,
        database:
          database === 'postgres'
            ? { url: TEST_POSTGRES_URL, pgSchema: schema }
            : { sqlitePath: path.join(dataDir, 'lanyard.db') },
      });
      const email = uniqueEmail();
      const send = (method: string, url: string, body: unknown, token?: string) =>
        app.http.inject({
          method: method as 'POST',
          url,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          payload: body as object,
        });
      await send('POST', '/v1/signup', { email });
      await app.jobs.runDue();
      const done = (
        await send('POST', '/v1/signup/complete', {
          email,
          code: messages.lastCode(email),
          password: 'a long unusual passphrase',
        })
      ).json();
      accountId = done.account.id;
      for (let i = 0; i < 30; i++) await send('PUT', `/v1/cloud/contacts/c${i}`, { name: `Contact ${i}` }, done.token);
    });
    after(async () => {
      await app.close();
      if (database === 'postgres') await dropTestSchema(schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const lanyard = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, ...env },
      }).catch((error: { code: number; stdout: string; stderr: string }) => error);

    test('writes the account’s zip to a file readable only by its owner, reporting progress to 100 %', async () => {
      const out = path.join(dataDir, 'copy.zip');
      const result = await lanyard('export', '--account', accountId, '--out', out);
      assert.match(
        result.stdout,
        new RegExp(`Wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 30 items, \\d+ bytes`),
      );
      assert.match(result.stderr, /export: 100% \(30\/30 items\)/);
      const zip = fs.readFileSync(out);
      assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
      assert.ok(zip.includes(Buffer.from('contacts.json')));
      assert.equal((fs.statSync(out).mode & 0o777).toString(8), '600');
      assert.ok(!fs.existsSync(`${out}.part`));
    });

    test('an unknown account or a missing --account is a clear error, and no file is left', async () => {
      const out = path.join(dataDir, 'nobody.zip');
      const unknown = (await lanyard('export', '--account', 'no-such-account', '--out', out)) as {
        code: number;
        stderr: string;
      };
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /there is no active account no-such-account/);
      assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.part`));
      const missing = (await lanyard('export')) as { code: number; stderr: string };
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /export needs --account ID/);
    });
  });
}
