import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Api } from '../testing/api-types.js';
import {
  createCliDatabase,
  runCli,
  startServer,
  tempDataDir,
  waitForOutbox,
  type CliDatabase,
  type RunningServer,
} from '../testing/cli.js';
import { testDatabases, uniqueEmail, uniquePhone } from '../testing/test-app.js';

interface Answer<T> {
  status: number;
  type: string;
  body: T;
}

/** One HTTP call to the spawned server. */
async function call<T = unknown>(
  base: string,
  method: string,
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${base}${url}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : undefined,
  };
}

/** The only 6-digit number in a message, as API.md promises for messages that carry a code. */
function codeIn(text: string): string {
  const codes = text.match(/\b\d{6}\b/g) ?? [];
  assert.equal(codes.length, 1, `expected one code in: ${text}`);
  return codes[0]!;
}

for (const database of testDatabases()) {
  describe(`lanyard command line (${database})`, () => {
    let dataDir: string;
    let store: CliDatabase;
    let env: Record<string, string>;
    let server: RunningServer;
    const staff = { email: uniqueEmail('staff'), password: 'staff passphrase of some length' };

    before(async () => {
      // A data folder that does not exist yet: the commands create it.
      dataDir = path.join(tempDataDir(), 'data');
      store = await createCliDatabase(database);
      env = { LANYARD_DATA_DIR: dataDir, ...store.env };
    });
    after(async () => {
      await server?.process.stop();
      await store.drop();
      fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    });

    test('migrate applies the migrations to a fresh database and says so; a second run says it is up to date', async () => {
      const first = await runCli(['migrate'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /Applied \d+ migration\(s\): .*2026-11-23-foundation/);
      const second = await runCli(['migrate'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /up to date/);
      assert.doesNotMatch(second.stdout, /Applied/);
    });

    test('serve prints its URL with the real port when LANYARD_PORT=0, and answers /healthz and the API there', async () => {
      server = await startServer(env);
      const port = Number(new URL(server.url).port);
      assert.ok(port > 0, `printed ${server.url}`);
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);

      const health = await call<Api<'Health'>>(server.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok' });

      const me = await call<Api<'Problem'>>(server.url, 'GET', '/v1/me');
      assert.equal(me.status, 401);
      assert.match(me.type, /^application\/problem\+json/);
      assert.equal(me.body.code, 'unauthenticated');

      // The default public URL names the port actually chosen, not 0.
      const openapi = await call<{ servers: { url: string }[] }>(server.url, 'GET', '/v1/openapi.json');
      assert.equal(openapi.status, 200);
      assert.equal(openapi.body.servers[0]!.url, server.url);
    });

    test('serve keeps its master key in the data folder, readable by its owner only, and SQLite data beside it', () => {
      const key = fs.statSync(path.join(dataDir, 'master.key'));
      assert.equal(key.mode & 0o777, 0o600);
      assert.equal(fs.existsSync(path.join(dataDir, 'lanyard.db')), database === 'sqlite');
      assert.match(
        server.process.stdout,
        database === 'sqlite' ? /database: SQLite at .*lanyard\.db/ : /database: PostgreSQL at 127\.0\.0\.1:5432/,
      );
      assert.match(server.process.stdout, /email: the dev outbox/);
    });

    let member: { id: string; email: string; password: string };
    test('without SMTP or SMS configured, the sign-up code reaches outbox.jsonl and completes the sign-up', async () => {
      const email = uniqueEmail();
      assert.equal((await call(server.url, 'POST', '/v1/signup', { body: { email } })).status, 202);
      const message = await waitForOutbox(dataDir, email);
      assert.equal(message.channel, 'email');
      assert.ok(message.subject.length > 0);

      const password = 'a long unusual passphrase';
      const done = await call<Api<'SessionIssued'>>(server.url, 'POST', '/v1/signup/complete', {
        body: { email, code: codeIn(message.text), password },
      });
      assert.equal(done.status, 201, JSON.stringify(done.body));
      const me = await call<Api<'Account'>>(server.url, 'GET', '/v1/me', { token: done.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.email, email);
      member = { id: me.body.id, email, password };
    });

    test('without SMS configured, a phone sign-up code reaches outbox.jsonl as an SMS', async () => {
      const phone = uniquePhone();
      assert.equal((await call(server.url, 'POST', '/v1/signup', { body: { phone } })).status, 202);
      const message = await waitForOutbox(dataDir, phone);
      assert.equal(message.channel, 'sms');
      codeIn(message.text);
    });

    test('admin create makes a support account that signs in through POST /v1/sessions like anyone', async () => {
      const created = await runCli(
        ['admin', 'create', '--email', staff.email, '--password', staff.password, '--role', 'support'],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, new RegExp(`Created support account \\S+ \\(${staff.email}\\)`));

      const signedIn = await call<Api<'SessionIssued'>>(server.url, 'POST', '/v1/sessions', {
        body: { login: staff.email, password: staff.password },
      });
      assert.equal(signedIn.status, 201, JSON.stringify(signedIn.body));
      const me = await call<Api<'Account'>>(server.url, 'GET', '/v1/me', { token: signedIn.body.token });
      assert.equal(me.body.role, 'support');
      assert.equal(me.body.email, staff.email);
    });

    test('admin create on an existing account promotes it and sets the given password', async () => {
      const newPassword = 'the admin passphrase now';
      const promoted = await runCli(['admin', 'create', '--email', member.email, '--password', newPassword], env);
      assert.equal(promoted.code, 0, promoted.stderr);
      assert.match(promoted.stdout, new RegExp(`Updated admin account ${member.id}`));

      const signedIn = await call<Api<'SessionIssued'>>(server.url, 'POST', '/v1/sessions', {
        body: { login: member.email, password: newPassword },
      });
      assert.equal(signedIn.status, 201);
      const me = await call<Api<'Account'>>(server.url, 'GET', '/v1/me', { token: signedIn.body.token });
      assert.equal(me.body.id, member.id);
      assert.equal(me.body.role, 'admin');
    });

    test('SIGTERM lets a request in flight finish, then the server exits 0', async () => {
      const payload = JSON.stringify({ login: staff.email, password: staff.password });
      // Expect: 100-continue makes the server acknowledge the request before the body is sent, so the
      // request is provably in flight when the signal arrives.
      const request = http.request(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(payload)),
          expect: '100-continue',
        },
      });
      const answered = new Promise<{ status: number; body: Api<'SessionIssued'> }>((resolve, reject) => {
        request.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
        });
        request.on('error', reject);
      });
      request.flushHeaders();
      await once(request, 'continue');

      server.process.signal('SIGTERM');
      await server.process.waitForOutput(/shutting down/);
      request.end(payload);

      const answer = await answered;
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      assert.ok(answer.body.token);
      const ended = await server.process.exit();
      assert.equal(ended.code, 0, ended.stderr);
      assert.equal(ended.stderr, '');
      // New connections are refused once it has gone.
      await assert.rejects(fetch(`${server.url}/healthz`));
    });
  });
}
