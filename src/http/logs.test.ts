import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createApp, type App } from '../app.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createTestSchema, dropTestSchema } from '../testing/pg-schema.js';
import {
  CapturingTransport,
  TEST_POSTGRES_URL,
  testDatabases,
  uniqueEmail,
  type TestDatabase,
} from '../testing/test-app.js';

// The server's log must never hold a password, a token, a CSRF token or a verification code. The logger
// here has no redaction at all, so the test proves that no secret is handed to the log in the first place.

/** Collects every line the logger writes. */
class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

interface LoggedApp {
  app: App;
  log: LogCapture;
  messages: CapturingTransport;
  close(): Promise<void>;
}

/** The real app with a logger at its most verbose, writing into memory. */
async function createLoggedApp(database: TestDatabase, level = 'trace'): Promise<LoggedApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-logs-'));
  const config = loadConfig({
    LANYARD_DATA_DIR: dataDir,
    LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    LANYARD_LOG_LEVEL: level,
    LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const schema = database === 'postgres' ? `logs_${randomBytes(6).toString('hex')}` : undefined;
  if (schema) await createTestSchema(schema);
  const log = new LogCapture();
  const messages = new CapturingTransport();
  const app = await createApp({
    config,
    clock: new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0)),
    transport: messages,
    logger: pino({ level }, log),
    database: schema ? { url: TEST_POSTGRES_URL, pgSchema: schema, poolSize: 5 } : { sqlitePath: ':memory:' },
  });
  return {
    app,
    log,
    messages,
    async close() {
      await app.close();
      if (schema) await dropTestSchema(schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

for (const database of testDatabases()) {
  describe(`the log holds no secrets (${database})`, () => {
    test('passwords, tokens, CSRF tokens and codes of a whole account history never reach the log', async () => {
      const { app, log, messages, close } = await createLoggedApp(database);
      try {
        const secrets: string[] = [];
        const codes: string[] = [];
        const call = async (
          method: string,
          url: string,
          options: { body?: unknown; payload?: string; headers?: Record<string, string>; token?: string } = {},
        ) => {
          const headers: Record<string, string> = { 'user-agent': 'log-test', ...options.headers };
          if (options.token) headers.authorization = `Bearer ${options.token}`;
          if (options.body !== undefined || options.payload !== undefined)
            headers['content-type'] ??= 'application/json';
          const payload = options.payload ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
          const response = await app.http.inject({
            method: method as 'GET',
            url,
            headers,
            ...(payload === undefined ? {} : { payload }),
          });
          return {
            status: response.statusCode,
            body: response.body ? JSON.parse(response.body) : undefined,
            cookies: response.cookies,
          };
        };
        const codeFor = async (address: string) => {
          await app.jobs.runDue();
          const code = messages.lastCode(address);
          codes.push(code);
          return code;
        };

        const email = uniqueEmail();
        const password = `first-${randomBytes(8).toString('hex')}`;
        const newPassword = `second-${randomBytes(8).toString('hex')}`;
        const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
        const malformedPassword = `malformed-${randomBytes(8).toString('hex')}`;
        const madeUpToken = randomBytes(32).toString('base64url');
        secrets.push(password, newPassword, wrongPassword, malformedPassword, madeUpToken);

        assert.equal((await call('POST', '/v1/signup', { body: { email } })).status, 202);
        const created = await call('POST', '/v1/signup/complete', {
          body: { email, code: await codeFor(email), password },
        });
        assert.equal(created.status, 201);
        let token: string = created.body.token;
        secrets.push(token);

        assert.equal(
          (await call('POST', '/v1/sessions', { body: { login: email, password: wrongPassword } })).status,
          401,
        );
        const web = await call('POST', '/v1/sessions', {
          body: { login: email, password, kind: 'web' },
          headers: { 'user-agent': 'another-client' },
        });
        assert.equal(web.status, 201);
        // A web sign-in's token is only in its cookie.
        const webToken = (web.cookies as Array<{ name: string; value: string }>).find(
          (c) => c.name === 'lanyard_session',
        )?.value;
        assert.ok(webToken);
        secrets.push(webToken);
        const cookie = `lanyard_session=${webToken}`;
        const session = await call('GET', '/v1/session', { headers: { cookie } });
        const csrf: string = session.body.csrfToken;
        secrets.push(csrf);
        assert.equal(
          (await call('PATCH', '/v1/me', { body: { name: 'Logged' }, headers: { cookie, 'x-csrf-token': csrf } }))
            .status,
          200,
        );
        const fresh = await call('POST', '/v1/session/reauth', { body: { password }, token });
        assert.equal(fresh.status, 200);
        token = fresh.body.token;
        secrets.push(token);

        const newEmail = uniqueEmail();
        assert.equal((await call('POST', '/v1/me/email', { body: { email: newEmail }, token })).status, 202);
        const changeCode = await codeFor(newEmail);
        const wrongCode = String((Number(changeCode) + 1) % 1_000_000).padStart(6, '0');
        codes.push(wrongCode);
        assert.equal(
          (await call('POST', '/v1/me/email/confirm', { body: { email: newEmail, code: wrongCode }, token })).status,
          400,
        );
        assert.equal(
          (await call('POST', '/v1/me/email/confirm', { body: { email: newEmail, code: changeCode }, token })).status,
          200,
        );
        assert.equal(
          (await call('POST', '/v1/me/password', { body: { currentPassword: password, newPassword }, token })).status,
          204,
        );

        // Secrets in places the server refuses: a broken body, a made-up token, a query string.
        assert.equal(
          (await call('POST', '/v1/sessions', { payload: `{"login":"${email}","password":"${malformedPassword}"` }))
            .status,
          400,
        );
        assert.equal((await call('GET', '/v1/me', { token: madeUpToken })).status, 401);
        assert.equal((await call('GET', `/v1/me/events?token=${token}`, { token })).status, 400);

        // A provider that is down: the failed job is logged, without the message it carried.
        messages.failing = true;
        const failingEmail = uniqueEmail();
        assert.equal((await call('POST', '/v1/me/email', { body: { email: failingEmail }, token })).status, 202);
        await app.jobs.runDue();
        messages.failing = false;

        const lines = log.text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        assert.ok(lines.filter((line) => line.msg === 'request').length >= 15, 'every request wrote its summary line');
        assert.ok(
          lines.some((line) => line.level === 40 && line.msg === 'job failed'),
          'the failing provider was logged',
        );
        for (const secret of secrets) assert.ok(!log.text.includes(secret), `a secret reached the log: ${secret}`);
        for (const code of codes)
          assert.doesNotMatch(log.text, new RegExp(`\\b${code}\\b`), `a code reached the log: ${code}`);
        assert.doesNotMatch(
          log.text,
          /authorization|cookie|x-csrf-token/i,
          'headers that carry credentials reached the log',
        );
      } finally {
        await close();
      }
    });
  });

  describe(`the summary line of a request at info (${database})`, () => {
    test('a change, a refusal and a failure write one; a successful read does not (metrics count it)', async () => {
      const { app, log, messages, close } = await createLoggedApp(database, 'info');
      try {
        const email = uniqueEmail();
        const send = (method: 'GET' | 'POST', url: string, body?: unknown, token?: string) =>
          app.http.inject({
            method,
            url,
            headers: {
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
        assert.equal((await send('POST', '/v1/signup', { email })).statusCode, 202);
        await app.jobs.runDue();
        const done = await send('POST', '/v1/signup/complete', {
          email,
          code: messages.lastCode(email),
          password: `pass-${randomBytes(8).toString('hex')}`,
        });
        const { token } = JSON.parse(done.body) as { token: string };
        const before = log.text.length;
        assert.equal((await send('GET', '/v1/me', undefined, token)).statusCode, 200);
        assert.equal((await send('GET', '/v1/sessions', undefined, token)).statusCode, 200);
        const quiet = log.text.slice(before);
        assert.doesNotMatch(quiet, /"msg":"request"/, 'successful reads write no summary line at info');
        assert.equal((await send('GET', '/v1/me')).statusCode, 401);
        assert.equal((await send('POST', '/v1/sessions', { login: email, password: 'wrong one' })).statusCode, 401);
        const lines = log.text
          .slice(before)
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((line) => line.msg === 'request');
        assert.deepEqual(
          lines.map((line) => [line.method, line.url, line.status]),
          [
            ['GET', '/v1/me', 401],
            ['POST', '/v1/sessions', 401],
          ],
        );
        assert.ok(
          lines.every((line) => typeof line.reqId === 'string' && typeof line.ms === 'number'),
          'each line says which request and how long',
        );
        const metrics = await app.http.inject({ method: 'GET', url: '/metrics' });
        assert.match(
          metrics.body,
          /lanyard_http_request_duration_seconds_count\{method="GET",route="\/v1\/me",status_code="200"\} 1\b/,
          'the quiet read is counted',
        );
      } finally {
        await close();
      }
    });
  });
}
