import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Challenge } from 'altcha-lib';
import * as client from 'openid-client';
import { generate } from 'otplib';
import pg from 'pg';
import { Browser, authorizationRequest, relyingParty } from '../client-apps/test-relying-party.js';
import { freePort } from '../testing/free-port.js';
import { deriveServerKeys } from '../crypto/keys.js';
import { hmac } from '../crypto/tokens.js';
import { ERASE_JOB } from '../deletion/erasure.js';
import { CONFIRMATION_SENTENCE } from '../deletion/service.js';
import { call } from '../deletion/spawned.js';
import { uniqueSerial } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solveCaptcha } from '../testing/captcha.js';
import {
  createCliDatabase,
  runCli,
  startServer,
  tempDataDir,
  type CliDatabase,
  type RunningServer,
} from '../testing/cli.js';
import { outboxFor } from '../testing/outbox.js';
import { createKeyringDatabase, type KeyringDatabase } from '../testing/keyring-database.js';
import { testDatabases, uniqueEmail } from '../testing/test-app.js';

// Two `lanyard serve` processes, as on two machines behind a load balancer: each with a data folder of its
// own, one PostgreSQL main database, one key ring database (LANYARD_KEYRING_URL) and one Redis. What one
// process does, the other sees; and when one dies mid-erasure, the other finishes it.

const REDIS_URL = process.env.LANYARD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** Queries a database with a short-lived connection; Row names the columns a caller reads. */
async function query<Row = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<Row[]> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  try {
    return (await connection.query(text, params)).rows;
  } finally {
    await connection.end();
  }
}

/** Waits until the check returns something, for at most `ms`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

if (testDatabases().includes('postgres')) {
  describe('two server processes on one PostgreSQL, one key ring database and one Redis', { timeout: 170_000 }, () => {
    const folders = [tempDataDir(), tempDataDir()] as const;
    const masterKey = randomBytes(32);
    let main: CliDatabase;
    let keyring: KeyringDatabase;
    let publicUrl: string;
    let env: Record<string, string>;
    let a: RunningServer;
    let b: RunningServer;
    let mainUrl: string;

    /** Every message the two processes' workers sent to an address, from both dev outboxes. */
    const sentTo = (to: string) => folders.flatMap((folder) => outboxFor(folder, to));
    /**
     * An account with two devices and `items` cloud items, made through A and B in turn. No photos: blobs
     * on disk belong to one data folder; processes on several machines keep them on S3 (LANYARD_S3_URL).
     */
    const fillAccount = async (items: number) => {
      const email = uniqueEmail('victim');
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const marker = `TWOPROC-${randomBytes(6).toString('hex')}`;
      assert.equal((await call(a.url, 'POST', '/v1/signup', { body: { email } })).status, 202);
      const done = await call(b.url, 'POST', '/v1/signup/complete', {
        body: { email, code: await codeFor(email), password, name: marker },
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const token: string = done.body.token;
      const deviceTokens: string[] = [];
      for (const base of [a.url, b.url]) {
        const linked = await call(base, 'POST', '/v1/devices', {
          token,
          body: { serial: uniqueSerial(), model: 'Phone', name: `${marker} phone`, kind: 'phone' },
        });
        assert.equal(linked.status, 201);
        deviceTokens.push(linked.body.deviceToken);
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, writer) => {
          for (let i = next++; i < items; i = next++) {
            const put = await call(writer % 2 ? a.url : b.url, 'PUT', `/v1/cloud/notes/item-${i}`, {
              token: deviceTokens[i % 2]!,
              body: { text: `${marker} ${i}` },
            });
            assert.equal(put.status, 200);
          }
        }),
      );
      return { id: done.body.account.id, email, token, deviceTokens, marker };
    };
    /** Asks for the deletion through A and confirms it through B, releasing the device locks. */
    const confirmDeletion = async (account: { email: string; token: string }) => {
      const seen = sentTo(account.email).map((message) => message.text);
      const asked = await call(a.url, 'POST', '/v1/me/deletion', {
        token: account.token,
        body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const confirmed = await call(b.url, 'POST', `/v1/me/deletion/${asked.body.id}/confirm`, {
        token: account.token,
        body: { code: await codeFor(account.email, seen), releaseDevices: true },
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    };
    /** The code in the first message to an address that was not among `seen` (texts), whichever process sent it. */
    const codeFor = (to: string, seen: string[] = []) =>
      waitFor(`a code to ${to}`, async () => {
        // Notices without a code (a device linked) may come in between; the two outboxes are in no common order.
        for (const message of sentTo(to)) {
          const code = message.text.match(/\b\d{6}\b/)?.[0];
          if (code && !seen.includes(message.text)) return code;
        }
        return undefined;
      });

    before(async () => {
      [main, keyring] = await Promise.all([createCliDatabase('postgres'), createKeyringDatabase()]);
      mainUrl = main.env.LANYARD_DATABASE_URL!;
      // The public URL (the load balancer's): the OpenID issuer both processes name. It is A's own address here.
      const portA = await freePort();
      publicUrl = `http://127.0.0.1:${portA}`;
      env = {
        ...main.env,
        ...QUICK_CAPTCHA_ENV,
        LANYARD_KEYRING_URL: keyring.url,
        LANYARD_REDIS_URL: REDIS_URL,
        LANYARD_MASTER_KEY: masterKey.toString('hex'),
        LANYARD_BASE_URL: publicUrl,
        LANYARD_LOG_LEVEL: 'warn',
        // A dead process's job is taken over within seconds, and one-row batches make an erasure last.
        LANYARD_JOB_LEASE_S: '2',
        LANYARD_ERASURE_BATCH_SIZE: '1',
      };
      // One migrates first, so that the two starts do not race on the schema.
      const migrated = await runCli(['migrate'], { ...env, LANYARD_DATA_DIR: folders[0] });
      assert.equal(migrated.code, 0, migrated.stderr);
      [a, b] = await Promise.all([
        startServer({ ...env, LANYARD_DATA_DIR: folders[0], LANYARD_PORT: String(portA) }),
        startServer({ ...env, LANYARD_DATA_DIR: folders[1] }),
      ]);
    });
    after(async () => {
      await Promise.all([a?.process.stop(), b?.process.stop()]);
      await Promise.all([main?.drop(), keyring?.drop()]);
      for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
    });

    test('both are ready with Redis reachable (the shared limits need it: no Redis is a failure here, not a skip)', async () => {
      for (const server of [a, b]) {
        const ready = await call(server.url, 'GET', '/readyz');
        assert.equal(ready.status, 200, JSON.stringify(ready.body));
        assert.equal(ready.body.checks.redis, 'ok');
      }
      assert.match(a.process.stdout, /key ring and tombstones: PostgreSQL at/);
    });

    /**
     * How many checks the other process still answered with the ended token before it refused it (it keeps
     * the checks it made in memory, and drops them when the change's notification arrives), and how long
     * after the change that was; fails after two seconds.
     */
    const refusedAfter = async (url: string, path: string, token: string): Promise<string> => {
      const started = performance.now();
      for (let answered = 0; ; answered++) {
        const status = (await call(url, 'GET', path, { token })).status;
        if (status === 401) return `${answered} answered, refused ${(performance.now() - started).toFixed(1)} ms after`;
        assert.equal(status, 200);
        assert.ok(performance.now() - started < 2000, `${path} still answers the ended token`);
      }
    };

    test('a session made on one works on the other, and signing out on the other ends it on the first', async (t) => {
      const email = uniqueEmail('two');
      assert.equal((await call(a.url, 'POST', '/v1/signup', { body: { email } })).status, 202);
      const done = await call(b.url, 'POST', '/v1/signup/complete', {
        body: { email, code: await codeFor(email), password: 'two processes 1' },
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const signedIn = await call(a.url, 'POST', '/v1/sessions', {
        body: { login: email, password: 'two processes 1' },
      });
      assert.equal(signedIn.status, 201);
      const me = await call(b.url, 'GET', '/v1/me', { token: signedIn.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.email, email, 'the email sealed by one process opens on the other (one key ring)');
      // Checked on A first, so that A keeps the check in memory.
      assert.equal((await call(a.url, 'GET', '/v1/me', { token: signedIn.body.token })).status, 200);
      assert.equal((await call(b.url, 'DELETE', '/v1/sessions/current', { token: signedIn.body.token })).status, 204);
      assert.equal((await call(b.url, 'GET', '/v1/me', { token: signedIn.body.token })).status, 401, 'at once on B');
      t.diagnostic(`A, the ended session: ${await refusedAfter(a.url, '/v1/me', signedIn.body.token)} B's answer`);
    });

    test('a device signed out through one, another session ended and a deleted account are refused by the other', async (t) => {
      const email = uniqueEmail('two');
      const password = 'two processes 2';
      assert.equal((await call(a.url, 'POST', '/v1/signup', { body: { email } })).status, 202);
      const done = await call(a.url, 'POST', '/v1/signup/complete', {
        body: { email, code: await codeFor(email), password },
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const token: string = done.body.token;
      const second = await call(a.url, 'POST', '/v1/sessions', { body: { login: email, password } });
      const linked = await call(a.url, 'POST', '/v1/devices', {
        token,
        body: { serial: uniqueSerial(), model: 'Phone', name: 'Phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201);
      const deviceToken: string = linked.body.deviceToken;
      for (const [path, held] of [
        ['/v1/me', token],
        ['/v1/me', second.body.token],
        ['/v1/device', deviceToken],
      ] as const)
        assert.equal((await call(a.url, 'GET', path, { token: held })).status, 200);

      const signedOut = await call(b.url, 'POST', '/v1/device/sign-out', { token: deviceToken, body: { password } });
      assert.equal(signedOut.status, 204, JSON.stringify(signedOut.body));
      const device = await refusedAfter(a.url, '/v1/device', deviceToken);

      const others = await call(b.url, 'DELETE', '/v1/sessions/others', { token });
      assert.equal(others.status, 204);
      const session = await refusedAfter(a.url, '/v1/me', second.body.token);
      assert.equal(
        (await call(a.url, 'GET', '/v1/me', { token })).status,
        200,
        'the session that ended the others stays',
      );

      await confirmDeletion({ email, token });
      const deleted = await refusedAfter(a.url, '/v1/me', token);
      t.diagnostic(
        `A, after B's answers: the device ${device}; the session ${session}; the deleted account's ${deleted}`,
      );
    });

    test('a rate limit spent through one is enforced by the other', async () => {
      // 30 activation checks a minute from one IP: all spent through A, the next is refused by B.
      for (let i = 0; i < 30; i++)
        assert.equal((await call(a.url, 'GET', `/v1/activation/${uniqueSerial()}`)).status, 200);
      const refused = await call(b.url, 'GET', `/v1/activation/${uniqueSerial()}`);
      assert.equal(refused.status, 429, JSON.stringify(refused.body));
    });

    test('a captcha solved once cannot be used again on the other', async () => {
      const challenge = await call(a.url, 'GET', '/v1/captcha');
      const captcha = await solveCaptcha(challenge.body as Challenge);
      const login = uniqueEmail('captcha');
      assert.equal(
        (await call(a.url, 'POST', '/v1/recovery', { body: { login, channel: 'email', captcha } })).status,
        202,
      );
      const replayed = await call(b.url, 'POST', '/v1/recovery', { body: { login, channel: 'email', captcha } });
      assert.equal(replayed.status, 400);
      assert.equal(replayed.body.code, 'captcha_required');
      assert.equal(replayed.body.reason, 'used');
    });

    test('each job runs exactly once: every sign-up code is sent once, by one of the two workers', async () => {
      const emails = Array.from({ length: 8 }, () => uniqueEmail('job'));
      await Promise.all(
        emails.map(async (email, i) =>
          assert.equal((await call(i % 2 ? a.url : b.url, 'POST', '/v1/signup', { body: { email } })).status, 202),
        ),
      );
      for (const email of emails) await codeFor(email);
      // Longer than a lease: a job run twice would have left a second message by now.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      for (const email of emails) assert.equal(sentTo(email).length, 1, `one message to ${email}`);
    });

    test('a Find Device command created through one reaches the device streaming from the other', async () => {
      const email = uniqueEmail('find');
      await call(b.url, 'POST', '/v1/signup', { body: { email } });
      const owner = await call(a.url, 'POST', '/v1/signup/complete', {
        body: { email, code: await codeFor(email), password: 'find my phone 1' },
      });
      const linked = await call(a.url, 'POST', '/v1/devices', {
        token: owner.body.token,
        body: { serial: uniqueSerial(), model: 'Phone', name: 'Phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201);
      const controller = new AbortController();
      const stream = await fetch(`${b.url}/v1/device/commands/stream`, {
        headers: { authorization: `Bearer ${linked.body.deviceToken}` },
        signal: controller.signal,
      });
      assert.equal(stream.status, 200);
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = '';
      /** Reads the stream until the pattern shows, for at most 15 s (a keep-alive comment comes only every 20 s). */
      const readUntil = async (pattern: RegExp) => {
        const deadline = Date.now() + 15_000;
        while (!pattern.test(received)) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no ${pattern} on the stream from B; it read: ${JSON.stringify(received)}`)),
              Math.max(0, deadline - Date.now()),
            );
          });
          try {
            const { value, done } = await Promise.race([reader.read(), timeout]);
            if (done) assert.fail(`the stream ended before ${pattern}: ${JSON.stringify(received)}`);
            received += value;
          } finally {
            clearTimeout(timer);
          }
        }
      };
      try {
        // Connected (and the queue, empty, read) before the command exists: it can only come through the relay.
        await readUntil(/: connected/);
        const created = await call(a.url, 'POST', `/v1/devices/${linked.body.device.id}/commands`, {
          token: owner.body.token,
          body: { type: 'ring' },
        });
        assert.equal(created.status, 202, JSON.stringify(created.body));
        await readUntil(new RegExp(`event: command\\nid: ${created.body.command.id}`));
      } finally {
        controller.abort();
      }
    });

    test('the OpenID provider is one: the same discovery and keys, and an authorization begun on one completes on the other', async () => {
      const [discoveryA, discoveryB] = await Promise.all([
        call(a.url, 'GET', '/.well-known/openid-configuration'),
        call(b.url, 'GET', '/.well-known/openid-configuration'),
      ]);
      assert.equal(discoveryA.status, 200);
      assert.deepEqual(discoveryB.body, discoveryA.body);
      const [jwksA, jwksB] = await Promise.all([
        call(a.url, 'GET', new URL(discoveryA.body.jwks_uri).pathname),
        call(b.url, 'GET', new URL(discoveryB.body.jwks_uri).pathname),
      ]);
      assert.ok(jwksA.body.keys.length > 0);
      assert.deepEqual(jwksB.body, jwksA.body);

      const adminEmail = uniqueEmail('admin');
      const created = await runCli(
        ['admin', 'create', '--email', adminEmail, '--password', 'admin passphrase 1', '--role', 'admin'],
        { ...env, LANYARD_DATA_DIR: folders[0] },
      );
      assert.equal(created.code, 0, created.stderr);
      const admin = (
        await call(b.url, 'POST', '/v1/sessions', { body: { login: adminEmail, password: 'admin passphrase 1' } })
      ).body.token;
      // Staff routes want a second factor enrolled: the admin sets up an authenticator app first.
      const totp = await call(b.url, 'POST', '/v1/me/totp', { token: admin });
      assert.equal(totp.status, 201, JSON.stringify(totp.body));
      const confirmed = await call(b.url, 'POST', '/v1/me/totp/confirm', {
        token: admin,
        body: { code: await generate({ secret: totp.body.secret }) },
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      const redirect = 'com.example.notes:/oauth/callback';
      const app = await call(b.url, 'POST', '/v1/admin/apps', {
        token: admin,
        body: { name: 'Notes', type: 'native', redirectUris: [redirect], scopes: ['openid', 'email'] },
      });
      assert.equal(app.status, 201, JSON.stringify(app.body));
      const email = uniqueEmail('oidc');
      await call(a.url, 'POST', '/v1/signup', { body: { email } });
      const person = await call(a.url, 'POST', '/v1/signup/complete', {
        body: { email, code: await codeFor(email), password: 'openid person 1' },
      });

      // Begun on A (the public URL): the authorization request, up to the sign-in page.
      const rp = await relyingParty(publicUrl, app.body.clientId);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: redirect,
        scope: 'openid email',
      });
      const onA = new Browser(a.url);
      let page = await onA.send('GET', url.href);
      while (page.location?.startsWith(publicUrl)) page = await onA.send('GET', page.location);
      assert.match(page.text, /type="password"/);
      // Completed on B: the sign-in form, the consent and the resumed authorization, then the code exchanged.
      const onB = new Browser(b.url);
      for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
      // The provider names the host a request came to (B's, here) or the public one: both stay on B.
      const ours = (target: string | undefined) =>
        target !== undefined &&
        [publicUrl, b.url].some((origin) => target.startsWith(`${origin}/`) || target.startsWith('/'));
      const onBOnly = (target: string) => target.replace(publicUrl, '').replace(b.url, '');
      const submit = async (text: string, action: RegExp, fields: Record<string, string>) => {
        const form = [...text.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].find((m) =>
          action.test(m[1]!.replaceAll('&amp;', '&')),
        );
        assert.ok(form, `a form posting to ${action}: ${text.slice(0, 400)}`);
        const hidden = Object.fromEntries(
          [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
            m[1]!,
            m[2]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"'),
          ]),
        );
        let answer = await onB.send('POST', onBOnly(form[1]!.replaceAll('&amp;', '&')), { ...hidden, ...fields });
        while (ours(answer.location)) answer = await onB.send('GET', onBOnly(answer.location!));
        return answer;
      };
      page = await submit(page.text, /\/login$/, { login: email, password: 'openid person 1' });
      if (!page.location) page = await submit(page.text, /\/consent$/, { decision: 'allow' });
      assert.ok(
        page.location?.startsWith(`${redirect}?`),
        `back to the app: ${page.location} ${page.text.slice(0, 300)}`,
      );
      // The code, issued by B, is exchanged at B's token endpoint.
      rp[client.customFetch] = (target, options) =>
        fetch(
          target.startsWith(publicUrl) ? `${b.url}${target.slice(publicUrl.length)}` : target,
          options as RequestInit,
        );
      const tokens = await client.authorizationCodeGrant(rp, new URL(page.location!), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      assert.equal(tokens.claims()!.sub, person.body.account.id);
    });

    test('one process killed with SIGKILL mid-erasure: the other finishes it, nothing is left and nothing is erased twice', async () => {
      const victim = await fillAccount(150);
      const hash = hmac(deriveServerKeys(masterKey).lookup, 'tombstone', victim.id);
      assert.equal(
        (await query(keyring.url, 'SELECT 1 FROM account_keys WHERE account_id = $1', [victim.id])).length,
        1,
      );
      await confirmDeletion(victim);
      // The process that holds the erasure right now (its pid is in the worker's name) is the one killed.
      const holder = await waitFor('an erasure link held by a worker', async () => {
        const [job] = await query(
          mainUrl,
          'SELECT locked_by FROM jobs WHERE kind = $1 AND locked_by IS NOT NULL AND locked_until > $2',
          [ERASE_JOB, Date.now()],
        );
        const [erasure] = await query<{ steps: string }>(
          mainUrl,
          'SELECT steps FROM erasures WHERE account_hash = $1',
          [hash],
        );
        return job && erasure && JSON.parse(erasure.steps).length >= 2 ? String(job.locked_by) : undefined;
      });
      const [killed, survivor] = holder.includes(`-${a.process.pid}-`) ? [a, b] : [b, a];
      assert.ok(holder.includes(`-${killed.process.pid}-`), holder);
      killed.process.signal('SIGKILL');
      assert.equal((await killed.process.exit()).signal, 'SIGKILL');
      const [before] = await query(mainUrl, 'SELECT status, steps FROM erasures WHERE account_hash = $1', [hash]);
      assert.equal(before!.status, 'erasing', 'the kill landed before the end of the erasure');

      await waitFor(
        'the erasure to finish on the survivor',
        async () => {
          const [row] = await query(mainUrl, 'SELECT status, job_id FROM erasures WHERE account_hash = $1', [hash]);
          return row?.status === 'erased' && row.job_id === null;
        },
        90_000,
      );
      for (const token of [victim.token, ...victim.deviceTokens])
        assert.equal((await call(survivor.url, 'GET', '/v1/me', { token })).status, 401);
      // No row of the account in any table of the main database (the erasure's own record keeps only its hash).
      const tables = await query(
        mainUrl,
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'account_id'",
      );
      for (const { table_name } of tables) {
        // The device locks too: the owner released them.
        const [left] = await query(mainUrl, `SELECT count(*)::int AS n FROM "${table_name}" WHERE account_id = $1`, [
          victim.id,
        ]);
        assert.equal(left!.n, 0, `rows of the account left in ${table_name}`);
      }
      assert.deepEqual(await query(mainUrl, 'SELECT id FROM accounts WHERE id = $1', [victim.id]), []);
      // Nor any trace of it in any text column (the marker was its name and every item's text).
      const columns = await query(
        mainUrl,
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'",
      );
      for (const { table_name, column_name } of columns) {
        const found = await query(
          mainUrl,
          `SELECT 1 FROM "${table_name}" WHERE position($1 in "${column_name}"::text) > 0 LIMIT 1`,
          [victim.marker],
        );
        assert.equal(found.length, 0, `${table_name}.${column_name} holds the account's data`);
      }
      // The key ring database: no key, and exactly one tombstone.
      assert.deepEqual(
        await query(keyring.url, 'SELECT account_id FROM account_keys WHERE account_id = $1', [victim.id]),
        [],
      );
      assert.equal(
        (await query(keyring.url, 'SELECT account_hash FROM tombstones WHERE account_hash = $1', [hash])).length,
        1,
      );
      // Erased once: one audit record of the end, and every step recorded once.
      const audit = await query(mainUrl, 'SELECT action FROM audit_records WHERE subject = $1 ORDER BY at, id', [hash]);
      assert.deepEqual(
        audit.map((r) => r.action),
        ['account.deleted', 'account.erased'],
      );
      const [row] = await query<{ steps: string }>(mainUrl, 'SELECT steps FROM erasures WHERE account_hash = $1', [
        hash,
      ]);
      const steps = JSON.parse(row!.steps) as string[];
      assert.equal(new Set(steps).size, steps.length, `a step ran twice: ${steps.join(', ')}`);
      // And the survivor goes on serving.
      assert.equal((await call(survivor.url, 'GET', '/readyz')).status, 200);
    });
  });
}
