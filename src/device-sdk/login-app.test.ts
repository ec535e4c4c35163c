import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Browser, startListeningApp, type ListeningApp } from '../client-apps/test-relying-party.js';
import { testDatabases } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

// `lanyard-device login-app`: the simulated watch signs in to an app with the device authorization
// grant while a person enters its code at /activate (the page's look is tested in Chromium in apps/).

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const NODE_ARGS = ['--import', import.meta.resolve('tsx'), MAIN];

/** Runs the simulator, calling `onOutput` with its output as it grows; resolves with its exit code and output. */
function runSimulator(
  args: string[],
  cwd: string,
  onOutput: (output: string) => Promise<unknown> | undefined,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      // The person's side failing would leave the simulator polling until the code expires: stop it.
      onOutput(output)?.catch((error: unknown) => {
        child.kill();
        reject(error);
      });
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

for (const database of testDatabases()) {
  describe(`lanyard-device login-app (${database})`, () => {
    let s: ListeningApp;
    let dir: string;
    let clientId: string;
    before(async () => {
      s = await startListeningApp(database);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-login-app-'));
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Band',
          type: 'native',
          firstParty: true,
          redirectUris: ['com.example.band:/cb'],
          scopes: ['openid', 'profile'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      clientId = registered.body.clientId;
    });
    after(async () => {
      await s?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Enters the code the simulator shows at /activate, signed in as the account; `confirm` false cancels. */
    async function enterCode(code: string, account: { email?: string; password: string }, confirm: boolean) {
      const browser = new Browser(s.baseUrl);
      await browser.signInToLanyard(account.email!, account.password);
      const input = await browser.go('GET', '/activate');
      const confirmation = await browser.submit(input.text, /\/activate$/, { user_code: code });
      assert.match(confirmation.text, new RegExp(code));
      const done = await browser.submit(confirmation.text, /\/activate$/, confirm ? {} : { abort: 'yes' });
      return done.text;
    }

    test('shows a code, and once the person enters it and allows the app, keeps the tokens; a declined one exits 1', {
      timeout: 90_000,
    }, async () => {
      const account = await s.t.signUp();
      const state = path.join(dir, 'band.json');
      let entering: Promise<string> | undefined;
      const result = await runSimulator(
        ['login-app', '--server', s.baseUrl, '--client-id', clientId, '--state', state],
        dir,
        (output) => {
          const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(output)?.[1];
          if (code && !entering) return (entering = enterCode(code, account, true));
          return undefined;
        },
      );
      assert.equal(result.code, 0, result.output);
      assert.match(await entering!, /Band is connected/);
      assert.match(result.output, new RegExp(`Signed in to the app as ${account.id}`));
      const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
      assert.equal(saved.appSession.sub, account.id);
      assert.equal(saved.appSession.clientId, clientId);
      assert.equal((fs.statSync(state).mode & 0o777).toString(8), '600');
      const userinfo = await fetch(`${s.baseUrl}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${saved.appSession.accessToken}` },
      });
      assert.equal(userinfo.status, 200);

      let declining: Promise<string> | undefined;
      const declined = await runSimulator(
        ['login-app', '--server', s.baseUrl, '--client-id', clientId, '--state', path.join(dir, 'other.json')],
        dir,
        (output) => {
          const code = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(output)?.[1];
          if (code && !declining) return (declining = enterCode(code, account, false));
          return undefined;
        },
      );
      await declining;
      assert.equal(declined.code, 1);
      assert.match(declined.output, /the sign-in was declined/);
    });
  });
}
