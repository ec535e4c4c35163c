import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ErrorCode } from './errors.js';
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
import { reauthenticate } from '../testing/reauth.js';
import type { Api } from '../testing/api-types.js';

// Every route that takes a JSON body, tried with bodies that are wrong in one way each: each answer is a
// 4xx problem+json with a stable code, and nothing changes (profile, sessions, events, rows, messages).

interface Context {
  account: TestAccount;
}

interface BodyRoute {
  method: 'POST' | 'PATCH';
  path: string;
  label?: string;
  auth: boolean;
  /** A body the route accepts; each case breaks it in exactly one way. Every field in it is required. */
  valid: (ctx: Context) => Record<string, unknown>;
  /** Fields that may be null (PATCH /v1/me clears the name with null). */
  nullable?: string[];
  /** Values just past a bound that API.md or the schema sets, with the answer each one gets. */
  bounds: { field: string; value: string; status: number; code: ErrorCode }[];
}

const over = (length: number) => 'x'.repeat(length);
const longEmail = (length: number) => `${'a'.repeat(length - '@example.com'.length)}@example.com`;
const CODE = '123456';

const BODY_ROUTES: BodyRoute[] = [
  {
    method: 'POST',
    path: '/v1/signup',
    label: 'POST /v1/signup (email)',
    auth: false,
    valid: () => ({ email: uniqueEmail() }),
    bounds: [{ field: 'email', value: longEmail(255), status: 400, code: 'validation_failed' }],
  },
  {
    method: 'POST',
    path: '/v1/signup',
    label: 'POST /v1/signup (phone)',
    auth: false,
    valid: () => ({ phone: uniquePhone() }),
    bounds: [
      { field: 'phone', value: `+34${'6'.repeat(31)}`, status: 400, code: 'validation_failed' },
      { field: 'email', value: 'both@example.com', status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/signup/complete',
    auth: false,
    valid: () => ({ email: uniqueEmail(), code: CODE, password: 'a long unusual passphrase' }),
    bounds: [
      { field: 'password', value: over(129), status: 400, code: 'validation_failed' },
      { field: 'password', value: 'short', status: 400, code: 'validation_failed' },
      { field: 'code', value: '1234567', status: 400, code: 'validation_failed' },
      { field: 'code', value: '12345a', status: 400, code: 'validation_failed' },
      { field: 'name', value: over(101), status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/sessions',
    auth: false,
    valid: ({ account }) => ({ login: account.email, password: account.password }),
    bounds: [
      { field: 'login', value: longEmail(255), status: 400, code: 'validation_failed' },
      { field: 'password', value: over(1025), status: 400, code: 'validation_failed' },
      // No bound of its own on sign-in: a password longer than any allowed one is simply wrong.
      { field: 'password', value: over(129), status: 401, code: 'invalid_credentials' },
      { field: 'login', value: '01234567-89ab-7def-8123-456789abcdef', status: 401, code: 'invalid_credentials' },
      { field: 'login', value: 'nul\u0000login', status: 401, code: 'invalid_credentials' },
    ],
  },
  {
    method: 'PATCH',
    path: '/v1/me',
    auth: true,
    nullable: ['name'],
    valid: () => ({ name: 'Renamed' }),
    bounds: [
      { field: 'name', value: over(101), status: 400, code: 'validation_failed' },
      { field: 'name', value: 'bell\u0007name', status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/me/email',
    auth: true,
    valid: () => ({ email: uniqueEmail() }),
    bounds: [
      { field: 'email', value: longEmail(255), status: 400, code: 'validation_failed' },
      { field: 'email', value: 'nul\u0000@example.com', status: 400, code: 'validation_failed' },
      { field: 'email', value: 'not an address', status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/me/email/confirm',
    auth: true,
    valid: () => ({ email: uniqueEmail(), code: CODE }),
    bounds: [
      { field: 'email', value: longEmail(255), status: 400, code: 'validation_failed' },
      { field: 'code', value: '1234567', status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/me/phone',
    auth: true,
    valid: () => ({ phone: uniquePhone() }),
    bounds: [
      { field: 'phone', value: `+34${'6'.repeat(31)}`, status: 400, code: 'validation_failed' },
      { field: 'phone', value: '612345678', status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/me/phone/confirm',
    auth: true,
    valid: () => ({ phone: uniquePhone(), code: CODE }),
    bounds: [{ field: 'code', value: '', status: 400, code: 'validation_failed' }],
  },
  {
    method: 'POST',
    path: '/v1/me/password',
    auth: true,
    valid: ({ account }) => ({ currentPassword: account.password, newPassword: 'a fresh unusual passphrase' }),
    bounds: [
      { field: 'newPassword', value: over(129), status: 400, code: 'validation_failed' },
      { field: 'newPassword', value: 'short', status: 400, code: 'validation_failed' },
      { field: 'currentPassword', value: over(1025), status: 400, code: 'validation_failed' },
    ],
  },
  {
    method: 'POST',
    path: '/v1/session/reauth',
    auth: true,
    valid: ({ account }) => ({ password: account.password }),
    bounds: [{ field: 'password', value: over(1025), status: 400, code: 'validation_failed' }],
  },
];

interface Case {
  name: string;
  /** Builds the request from the route's valid body. */
  request: (valid: Record<string, unknown>) => RequestOptions;
  status: number;
  code: ErrorCode;
  /** A path that the problem's `errors` must name. */
  path?: string;
}

const json = (payload: string): RequestOptions => ({ payload, headers: { 'content-type': 'application/json' } });
const WRONG_TYPES: [string, unknown][] = [
  ['a number', 12345],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { x: 1 }],
  ['null', null],
];

/** A context with the right shape, to read a route's field names before any account exists. */
const SHAPE: Context = { account: { id: '', email: '', password: '', token: '' } };

/** The table of bad bodies for one route, each breaking its valid body in one way. */
function casesFor(route: BodyRoute): Case[] {
  const fields = Object.keys(route.valid(SHAPE));
  const cases: Case[] = [];
  for (const field of fields) {
    cases.push({
      name: `a missing ${field}`,
      request: ({ [field]: _dropped, ...rest }) => ({ body: rest }),
      status: 400,
      code: 'validation_failed',
    });
    for (const [what, value] of WRONG_TYPES) {
      if (value === null && route.nullable?.includes(field)) continue;
      cases.push({
        name: `${field} as ${what}`,
        request: (valid) => ({ body: { ...valid, [field]: value } }),
        status: 400,
        code: 'validation_failed',
        path: `body.${field}`,
      });
    }
    cases.push({
      name: `${field} of 10,000 characters`,
      request: (valid) => ({ body: { ...valid, [field]: over(10_000) } }),
      status: 400,
      code: 'validation_failed',
      path: `body.${field}`,
    });
  }
  for (const bound of route.bounds) {
    const shown = bound.value.length > 20 ? `${bound.value.length} characters` : JSON.stringify(bound.value);
    cases.push({
      name: `${bound.field} = ${shown}`,
      request: (valid) => ({ body: { ...valid, [bound.field]: bound.value } }),
      status: bound.status,
      code: bound.code,
    });
  }
  cases.push(
    {
      name: 'an unknown extra field',
      request: (valid) => ({ body: { ...valid, isAdmin: true } }),
      status: 400,
      code: 'validation_failed',
      path: 'body.isAdmin',
    },
    {
      name: 'a __proto__ field',
      request: (valid) => json(`{"__proto__":{"role":"admin"},${JSON.stringify(valid).slice(1)}`),
      status: 400,
      code: 'validation_failed',
    },
    {
      name: 'a body over 64 KiB',
      request: (valid) => ({ body: { ...valid, [fields[0]!]: over(70_000) } }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'malformed JSON',
      request: (valid) => json(JSON.stringify(valid).slice(0, -1)),
      status: 400,
      code: 'validation_failed',
      path: 'body',
    },
    {
      name: 'JSON followed by garbage',
      request: (valid) => json(`${JSON.stringify(valid)}x`),
      status: 400,
      code: 'validation_failed',
      path: 'body',
    },
    { name: 'an empty JSON body', request: () => json(''), status: 400, code: 'validation_failed', path: 'body' },
    { name: 'no body at all', request: () => ({}), status: 400, code: 'validation_failed', path: 'body' },
    {
      name: 'a JSON array',
      request: (valid) => ({ body: [valid] }),
      status: 400,
      code: 'validation_failed',
      path: 'body',
    },
    { name: 'a JSON string', request: () => ({ body: 'text' }), status: 400, code: 'validation_failed', path: 'body' },
    { name: 'JSON null', request: () => json('null'), status: 400, code: 'validation_failed', path: 'body' },
    { name: 'a JSON number', request: () => json('42'), status: 400, code: 'validation_failed', path: 'body' },
    {
      name: 'text/plain',
      request: (valid) => ({ payload: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'a form',
      request: (valid) => ({
        payload: new URLSearchParams(valid as Record<string, string>).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'XML',
      request: () => ({ payload: '<signup/>', headers: { 'content-type': 'application/xml' } }),
      status: 415,
      code: 'unsupported_media_type',
    },
  );
  return cases;
}

for (const database of testDatabases()) {
  describe(`every JSON route refuses bad bodies and changes nothing (${database})`, () => {
    let t: TestApp;
    let account: TestAccount;
    let stranger: TestAccount;
    before(async () => {
      t = await createTestApp({ database });
      account = await t.signUp({ name: 'Ana' });
      stranger = await t.signUp();
    });
    after(async () => t.close());

    for (const route of BODY_ROUTES) {
      const label = route.label ?? `${route.method} ${route.path}`;
      for (const c of casesFor(route)) {
        test(`${label} refuses ${c.name} with ${c.status} ${c.code}`, async () => {
          const options = { ...c.request(route.valid({ account })), ...(route.auth ? { token: account.token } : {}) };
          const refused = await assertChangesNothing(t, [account, stranger], () =>
            t.request(route.method, route.path, options),
          );
          assertProblem(refused, c.status, c.code, `${label}, ${c.name}`);
          if (c.path) assert.ok(errorPaths(refused).includes(c.path), `errors should name ${c.path}: ${refused.text}`);
        });
      }
    }

    test('the routes still work with the valid bodies, so each refusal above was about its one fault', async () => {
      const renamed = await t.request('PATCH', '/v1/me', { token: account.token, body: { name: 'Renamed' } });
      assert.equal(renamed.status, 200, renamed.text);
      await reauthenticate(t, account);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        201,
      );
      assert.equal(
        (await t.request('POST', '/v1/me/email', { token: account.token, body: { email: uniqueEmail() } })).status,
        202,
      );
      assert.equal((await t.request('POST', '/v1/signup', { body: { phone: uniquePhone() } })).status, 202);
    });

    test('a body of thousands of unknown fields gets a short answer naming the first 20', async () => {
      const payload = JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, 1])));
      const refused = await assertChangesNothing(t, [account, stranger], () =>
        t.request<Api<'Problem'>>('POST', '/v1/sessions', json(payload)),
      );
      assertProblem(refused, 400, 'validation_failed');
      assert.equal(refused.body.errors?.length, 20);
      assert.ok(refused.text.length < payload.length / 10, `the answer has ${refused.text.length} bytes`);
    });

    const BODYLESS: [string, string][] = [
      ['DELETE', '/v1/sessions/others'],
      ['DELETE', '/v1/sessions/current'],
    ];
    for (const [method, path] of BODYLESS) {
      test(`${method} ${path} with a malformed, non-JSON or oversized body is refused and ends no session`, async () => {
        for (const [options, status, code] of [
          [json('{"all":'), 400, 'validation_failed'],
          [{ payload: 'everything', headers: { 'content-type': 'text/plain' } }, 415, 'unsupported_media_type'],
          [{ body: { filler: over(70_000) } }, 413, 'payload_too_large'],
        ] as [RequestOptions, number, ErrorCode][]) {
          const refused = await assertChangesNothing(t, [account, stranger], () =>
            t.request(method, path, { ...options, token: account.token }),
          );
          assertProblem(refused, status, code, `${method} ${path}`);
        }
      });
    }
  });
}
