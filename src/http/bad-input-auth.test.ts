import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertChangesNothing, assertProblem, errorPaths } from '../testing/problems.js';
import {
  createTestApp,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type RequestOptions,
  type TestAccount,
  type TestApp,
} from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

// Every route behind a session, tried without one, with garbage, with a revoked or expired one, and by
// cookie without the CSRF token; then unknown ids, another account's ids and bad query strings.

interface Context {
  account: TestAccount;
  /** Another session of the same account, which DELETE /v1/sessions/{id} would end. */
  otherSessionId: string;
}

interface AuthRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** The URL with its ids filled in, when the route has any. */
  url?: (ctx: Context) => string;
  /** A body that a signed-in caller would have had accepted: only the credentials are wrong. */
  body?: (ctx: Context) => Record<string, unknown>;
}

const AUTH_ROUTES: AuthRoute[] = [
  { method: 'GET', path: '/v1/me' },
  { method: 'PATCH', path: '/v1/me', body: () => ({ name: 'Mallory' }) },
  { method: 'POST', path: '/v1/me/email', body: () => ({ email: uniqueEmail() }) },
  { method: 'POST', path: '/v1/me/email/confirm', body: () => ({ email: uniqueEmail(), code: '123456' }) },
  { method: 'POST', path: '/v1/me/phone', body: () => ({ phone: uniquePhone() }) },
  { method: 'POST', path: '/v1/me/phone/confirm', body: () => ({ phone: uniquePhone(), code: '123456' }) },
  {
    method: 'POST',
    path: '/v1/me/password',
    body: ({ account }) => ({ currentPassword: account.password, newPassword: 'a takeover passphrase' }),
  },
  { method: 'GET', path: '/v1/me/events' },
  { method: 'GET', path: '/v1/session' },
  { method: 'GET', path: '/v1/sessions' },
  { method: 'DELETE', path: '/v1/sessions/{id}', url: ({ otherSessionId }) => `/v1/sessions/${otherSessionId}` },
  { method: 'DELETE', path: '/v1/sessions/current' },
  { method: 'DELETE', path: '/v1/sessions/others' },
  { method: 'POST', path: '/v1/session/reauth', body: ({ account }) => ({ password: account.password }) },
];

const requestFor = (route: AuthRoute, ctx: Context, credentials: RequestOptions): [string, string, RequestOptions] => [
  route.method,
  route.url?.(ctx) ?? route.path,
  { ...credentials, ...(route.body ? { body: route.body(ctx) } : {}) },
];

const madeUpToken = () => randomBytes(32).toString('base64url');

for (const database of testDatabases()) {
  describe(`every route behind a session refuses missing, bad and ended credentials (${database})`, () => {
    let t: TestApp;
    let ctx: Context;
    let stranger: TestAccount;
    let revokedToken: string;
    let cookieToken: string;
    before(async () => {
      t = await createTestApp({ database });
      const account = await t.signUp();
      stranger = await t.signUp();
      const signIn = <T = BearerSession>(kind: 'web' | 'api') =>
        t.request<T>('POST', '/v1/sessions', { body: { login: account.email, password: account.password, kind } });
      const other = await signIn('api');
      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: other.body.token });
      const current = sessions.body.sessions.find((s) => s.current);
      assert.ok(current);
      ctx = { account, otherSessionId: current.id };
      // A web sign-in's token is only in its cookie.
      cookieToken = /lanyard_session=([A-Za-z0-9_-]+);/.exec(
        String((await signIn<Api<'SessionIssued'>>('web')).headers['set-cookie']),
      )![1]!;
      revokedToken = (await signIn('api')).body.token;
      assert.equal((await t.request('DELETE', '/v1/sessions/current', { token: revokedToken })).status, 204);
    });
    after(async () => t.close());

    const CREDENTIALS: [string, () => RequestOptions][] = [
      ['no credentials at all', () => ({})],
      [
        'an Authorization header that is not a bearer token',
        () => ({ headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }),
      ],
      ['a bearer token that is garbage', () => ({ headers: { authorization: 'Bearer not a token!' } })],
      ['an empty Authorization header', () => ({ headers: { authorization: '' } })],
      ['a well-formed bearer token nobody was given', () => ({ token: madeUpToken() })],
      ['the bearer token of a session that signed out', () => ({ token: revokedToken })],
      ['a session cookie nobody was given', () => ({ cookies: { lanyard_session: madeUpToken() } })],
      ['the session cookie of a session that signed out', () => ({ cookies: { lanyard_session: revokedToken } })],
      [
        'a made-up bearer token next to a valid cookie',
        () => ({ token: madeUpToken(), cookies: { lanyard_session: cookieToken } }),
      ],
    ];
    for (const route of AUTH_ROUTES) {
      for (const [what, credentials] of CREDENTIALS) {
        test(`${route.method} ${route.path} with ${what} answers 401 unauthenticated`, async () => {
          const [method, url, options] = requestFor(route, ctx, credentials());
          const refused = await assertChangesNothing(t, [ctx.account, stranger], () => t.request(method, url, options));
          assertProblem(refused, 401, 'unauthenticated', `${method} ${url} with ${what}`);
        });
      }
      if (route.method === 'GET') continue;
      test(`${route.method} ${route.path} by session cookie without the right CSRF token answers 403 csrf_failed`, async () => {
        const strangersCsrf = (await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: stranger.token }))
          .body.csrfToken;
        for (const csrf of [undefined, 'x'.repeat(43), strangersCsrf]) {
          const [method, url, options] = requestFor(route, ctx, {
            cookies: { lanyard_session: cookieToken },
            headers: csrf ? { 'x-csrf-token': csrf } : {},
          });
          const refused = await assertChangesNothing(t, [ctx.account, stranger], () => t.request(method, url, options));
          assertProblem(refused, 403, 'csrf_failed', `${method} ${url} with CSRF ${csrf}`);
        }
      });
    }

    test('a made-up session id answers 404 not_found and ends nothing', async () => {
      for (const id of ['01234567-89ab-7def-8123-456789abcdef', 'nope', "' OR 1=1 --", '✓']) {
        const url = `/v1/sessions/${encodeURIComponent(id)}`;
        const refused = await assertChangesNothing(t, [ctx.account, stranger], () =>
          t.request('DELETE', url, { token: ctx.account.token }),
        );
        assertProblem(refused, 404, 'not_found', url);
      }
    });

    test("another account's session id answers 404, and that session keeps working", async () => {
      const strangersSessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: stranger.token });
      const strangersId = strangersSessions.body.sessions[0]?.id;
      assert.ok(strangersId);
      const refused = await assertChangesNothing(t, [ctx.account, stranger], () =>
        t.request('DELETE', `/v1/sessions/${strangersId}`, { token: ctx.account.token }),
      );
      assertProblem(refused, 404, 'not_found');
      assert.equal((await t.request('GET', '/v1/me', { token: stranger.token })).status, 200);
      assert.deepEqual(
        (await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: stranger.token })).body,
        strangersSessions.body,
      );
    });

    test('session ids that are empty, oversized, hold control characters or bad percent-encoding answer 400', async () => {
      for (const raw of ['', 'x'.repeat(65), '%00', 'a%0Ab', 'a%7F', '%E0%A4%A']) {
        const url = `/v1/sessions/${raw}`;
        const refused = await assertChangesNothing(t, [ctx.account, stranger], () =>
          t.request('DELETE', url, { token: ctx.account.token }),
        );
        assertProblem(refused, 400, 'validation_failed', url);
      }
    });

    test('GET /v1/me/events refuses unknown, mistyped, oversized and repeated query parameters', async () => {
      const cases: [string, string][] = [
        ['?limit=abc', 'querystring.limit'],
        ['?limit=-1', 'querystring.limit'],
        ['?limit=1.5', 'querystring.limit'],
        ['?limit=99999', 'querystring.limit'],
        ['?limit=', 'querystring.limit'],
        ['?limit=1&limit=2', 'querystring.limit'],
        ['?since=yesterday', 'querystring.since'],
      ];
      for (const [query, path] of cases) {
        const refused = await assertChangesNothing(t, [ctx.account, stranger], () =>
          t.request('GET', `/v1/me/events${query}`, { token: ctx.account.token }),
        );
        assertProblem(refused, 400, 'validation_failed', query);
        assert.ok(errorPaths(refused).includes(path), `errors should name ${path}: ${refused.text}`);
      }
    });

    test('routes and methods that do not exist answer 404 problem+json', async () => {
      const cases: [string, string][] = [
        ['GET', '/v1/nope'],
        ['PUT', '/v1/me'],
        ['POST', '/v1/sessions/current'],
        ['GET', '/v1/me/'],
        ['PATCH', '/v1/sessions'],
      ];
      for (const [method, url] of cases) {
        const refused = await assertChangesNothing(t, [ctx.account, stranger], () =>
          t.request(method, url, { token: ctx.account.token, body: {} }),
        );
        assertProblem(refused, 404, 'not_found', `${method} ${url}`);
      }
    });

    test('the credentials used above are otherwise good: the same requests work with the bearer token and with cookie plus CSRF', async () => {
      assert.equal((await t.request('GET', '/v1/me', { token: ctx.account.token })).status, 200);
      const csrf = (
        await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { cookies: { lanyard_session: cookieToken } })
      ).body.csrfToken;
      const renamed = await t.request('PATCH', '/v1/me', {
        cookies: { lanyard_session: cookieToken },
        headers: { 'x-csrf-token': csrf },
        body: { name: 'By cookie' },
      });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(
        (await t.request('DELETE', `/v1/sessions/${ctx.otherSessionId}`, { token: ctx.account.token })).status,
        204,
      );
    });
  });

  describe(`an expired session is refused everywhere and changes nothing (${database})`, () => {
    let t: TestApp;
    let account: TestAccount;
    let otherSessionId: string;
    before(async () => {
      t = await createTestApp({ database });
      account = await t.signUp();
      const other = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: other.body.token });
      const current = sessions.body.sessions.find((s) => s.current);
      assert.ok(current);
      otherSessionId = current.id;
      // Idle for 14 days and a moment: both sessions have expired (their rows stay until the sweep).
      t.clock.advance(14 * 86_400_000 + 1);
    });
    after(async () => t.close());

    for (const route of AUTH_ROUTES) {
      test(`${route.method} ${route.path} with an expired bearer token or cookie answers 401 unauthenticated`, async () => {
        const ctx = { account, otherSessionId };
        for (const credentials of [
          { token: account.token },
          { cookies: { lanyard_session: account.token } },
        ] as RequestOptions[]) {
          const [method, url, options] = requestFor(route, ctx, credentials);
          const refused = await assertChangesNothing(t, [], () => t.request(method, url, options));
          assertProblem(refused, 401, 'unauthenticated', `${method} ${url}`);
        }
      });
    }
  });
}
