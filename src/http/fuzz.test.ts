import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { makeImage } from '../cloud/test-images.js';
import { DroppedConnection, ResponseChecker, send, type WireResponse } from '../testing/fuzz-http.js';
import {
  operationsOf,
  requestsFor,
  type FuzzRequest,
  type OpenApiDocument,
  type Operation,
} from '../testing/fuzz-requests.js';
import { createStaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp } from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

// Issue 13, item 1: every operation of GET /v1/openapi.json, fuzzed through real HTTP with requests
// that fit its schemas and requests that do not, with no credential, a forged one and each real kind
// (account session by bearer, web session by cookie with its CSRF token and without it, device token,
// staff support, staff admin). Every answer: never 5xx, never a dropped connection, errors as problem+json, and each
// body matching the schema the document declares for its status.
//
// Seeded and bounded. LANYARD_FUZZ_SEED (printed with every failure) replays a run; LANYARD_FUZZ_RUNS
// sets the requests per operation and credential (default 4); LANYARD_FUZZ_ONLY narrows the run to the
// operations whose `METHOD /route` contains it. Statuses an operation answers but does not declare are
// a failure (LANYARD_FUZZ_STRICT_STATUSES=0 only lists them); LANYARD_FUZZ_STATS=1 lists
// how often each operation answered each status.
//
// JSON nesting is generated up to LANYARD_FUZZ_MAX_DEPTH levels (default 200), past the server's limit of
// 64 on every body, so that the limit itself is fuzzed.

const SEED = Number(process.env.LANYARD_FUZZ_SEED ?? 20261203);
const RUNS = Number(process.env.LANYARD_FUZZ_RUNS ?? 4);
const MAX_DEPTH = Number(process.env.LANYARD_FUZZ_MAX_DEPTH ?? 200);
const ONLY = process.env.LANYARD_FUZZ_ONLY;
// Every status an operation answers must be declared; LANYARD_FUZZ_STRICT_STATUSES=0 only lists the undeclared ones.
const STRICT_STATUSES = process.env.LANYARD_FUZZ_STRICT_STATUSES !== '0';

/** Each operation and credential gets a seed of its own, so that one of them can be replayed alone. */
function seedOf(op: Operation, credential: string): number {
  return createHash('sha256').update(`${SEED} ${op.key} ${credential}`).digest().readUInt32BE() & 0x7fffffff;
}

let ipCounter = 0;
/** Set-up traffic comes from addresses of its own, so the fuzzer's failures never rate-limit it. */
function freshIp(): string {
  ipCounter += 1;
  return `10.77.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}

interface Credential {
  name: string;
  headers(): Record<string, string>;
  /** Whether the credential still works (a fuzzed request may have ended its session). */
  alive(): Promise<boolean>;
  renew(): Promise<void>;
}

interface Account {
  email: string;
  password: string;
  token: string;
}

async function newAccount(t: TestApp): Promise<Account> {
  const email = uniqueEmail('fuzz');
  const password = `fuzz passphrase ${randomBytes(6).toString('hex')}`;
  const ip = freshIp();
  const started = await t.request('POST', '/v1/signup', { body: { email }, ip });
  assert.equal(started.status, 202, started.text);
  await t.drainJobs();
  const done = await t.request<BearerSession>('POST', '/v1/signup/complete', {
    body: { email, code: t.messages.lastCode(email), password },
    ip,
  });
  assert.equal(done.status, 201, done.text);
  return { email, password, token: done.body.token };
}

async function signIn(t: TestApp, login: string, password: string, kind: 'api' | 'web' = 'api'): Promise<string> {
  const signedIn = await t.request<Api<'SessionIssued'>>('POST', '/v1/sessions', {
    body: { login, password, kind },
    ip: freshIp(),
  });
  assert.equal(signedIn.status, 201, signedIn.text);
  if (kind === 'api') {
    assert.ok(signedIn.body.token, 'an API sign-in answers with its token');
    return signedIn.body.token;
  }
  // A web sign-in's token is in the HttpOnly cookie only.
  const setCookie = [signedIn.headers['set-cookie'] ?? []]
    .flat()
    .map(String)
    .find((c) => c.startsWith('lanyard_session='));
  assert.ok(setCookie, 'a web sign-in sets the session cookie');
  return setCookie.slice('lanyard_session='.length).split(';')[0]!;
}

const sessionAlive = async (t: TestApp, token: string, url = '/v1/session') =>
  (await t.request('GET', url, { token })).status === 200;

/** The credentials every operation is tried with, each on an account of its own. */
async function credentials(t: TestApp, knownIds: Set<string>): Promise<Credential[]> {
  let account = await newAccount(t);
  const cookie = { token: '', csrf: '' };
  const device = { token: '' };
  let support = '';
  let admin = '';
  const renewCookie = async () => {
    const owner = await newAccount(t);
    cookie.token = await signIn(t, owner.email, owner.password, 'web');
    cookie.csrf = (
      await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { cookies: { lanyard_session: cookie.token } })
    ).body.csrfToken;
  };
  const renewDevice = async (owner: Account) => {
    const serial = `FUZZ${randomBytes(6).toString('hex').toUpperCase()}`;
    const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
      token: owner.token,
      body: { serial, model: 'Fuzz phone', name: 'Fuzz phone', kind: 'phone' },
    });
    assert.equal(linked.status, 201, linked.text);
    device.token = linked.body.deviceToken;
    knownIds.add(linked.body.device.id);
    knownIds.add(serial);
  };
  // Staff with the authenticator app that staff routes require.
  const staff = async (role: 'support' | 'admin') => (await createStaffMember(t, role, { ip: freshIp() })).token;
  await renewCookie();
  await renewDevice(account);
  support = await staff('support');
  admin = await staff('admin');
  const forged = randomBytes(32).toString('base64url');
  return [
    { name: 'anonymous', headers: () => ({}), alive: async () => true, renew: async () => {} },
    {
      name: 'forged bearer token',
      headers: () => ({ authorization: `Bearer ${forged}` }),
      alive: async () => true,
      renew: async () => {},
    },
    {
      name: 'account session (bearer)',
      headers: () => ({ authorization: `Bearer ${account.token}` }),
      alive: () => sessionAlive(t, account.token),
      renew: async () => void (account = await newAccount(t)),
    },
    {
      name: 'web session (cookie and CSRF token)',
      headers: () => ({ cookie: `lanyard_session=${cookie.token}`, 'x-csrf-token': cookie.csrf }),
      alive: () => sessionAlive(t, cookie.token),
      renew: renewCookie,
    },
    {
      name: 'web session (cookie without its CSRF token)',
      headers: () => ({ cookie: `lanyard_session=${cookie.token}` }),
      alive: () => sessionAlive(t, cookie.token),
      renew: renewCookie,
    },
    {
      name: 'device token',
      headers: () => ({ authorization: `Bearer ${device.token}` }),
      alive: () => sessionAlive(t, device.token, '/v1/device'),
      renew: async () => renewDevice(await newAccount(t)),
    },
    {
      name: 'staff support',
      headers: () => ({ authorization: `Bearer ${support}` }),
      alive: () => sessionAlive(t, support),
      renew: async () => void (support = await staff('support')),
    },
    {
      name: 'staff admin',
      headers: () => ({ authorization: `Bearer ${admin}` }),
      alive: () => sessionAlive(t, admin),
      renew: async () => void (admin = await staff('admin')),
    },
  ];
}

/** A few real things for path parameters to point at, made through the API by the credentials' owners. */
async function fixtures(t: TestApp, knownIds: Set<string>, creds: Credential[], images: Buffer[]): Promise<void> {
  const by = (name: string) => creds.find((c) => c.name === name)!.headers();
  const send = <T = unknown>(
    method: string,
    url: string,
    who: string,
    body?: unknown,
    raw?: { type: string; bytes: Buffer },
  ) =>
    t.request<T>(method, url, {
      headers: { ...by(who), ...(raw ? { 'content-type': raw.type } : {}) },
      ...(body !== undefined ? { body } : {}),
      ...(raw ? { payload: raw.bytes } : {}),
    });
  const account = 'account session (bearer)';
  const expect = (response: { status: number; text: string }, status: number) =>
    assert.equal(response.status, status, response.text);
  expect(await send('PUT', '/v1/cloud/notes/fuzz-note', account, { title: 'A note', text: 'for the fuzzer' }), 200);
  expect(
    await send('PUT', '/v1/cloud/photos/fuzz-photo', account, undefined, { type: 'image/png', bytes: images[0]! }),
    200,
  );
  for (const s of (await send<Api<'SessionList'>>('GET', '/v1/sessions', account)).body.sessions) knownIds.add(s.id);
  const exported = await send<Api<'Export'>>('POST', '/v1/me/export', account);
  expect(exported, 202);
  knownIds.add(exported.body.id);
  const webhook = await send<Api<'WebhookCreated'>>('POST', '/v1/admin/webhooks', 'staff admin', {
    url: 'https://example.com/lanyard-fuzz',
    events: ['account.deleted'],
  });
  expect(webhook, 201);
  knownIds.add(webhook.body.id);
  const app = await send<Api<'AppCreated'>>('POST', '/v1/admin/apps', 'staff admin', {
    name: 'Fuzz app',
    redirectUris: ['https://example.com/callback'],
    scopes: ['openid'],
  });
  expect(app, 201);
  knownIds.add(app.body.clientId);
  for (const id of ['fuzz-note', 'fuzz-photo', 'notes', 'photos']) knownIds.add(id);
}

/** Ids in an answer (`id`, `clientId`, `…Id`, `serial`; not request ids): later requests aim at real things with them. */
function harvest(response: WireResponse, knownIds: Set<string>): void {
  if (!/json/.test(String(response.headers['content-type'])) || response.body.length > 200_000) return;
  const walk = (node: unknown, depth: number): void => {
    if (depth > 6 || node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (
        typeof value === 'string' &&
        value.length <= 200 &&
        (key === 'id' || key === 'serial' || (/Id$/.test(key) && key !== 'requestId'))
      )
        knownIds.add(value);
      else walk(value, depth + 1);
    }
  };
  try {
    walk(JSON.parse(response.body.toString('utf8')), 0);
  } catch {
    // Not JSON after all: the checker reports that.
  }
  // The newest ids are the likeliest to still exist.
  while (knownIds.size > 300) knownIds.delete(knownIds.values().next().value!);
}

function describeRequest(request: FuzzRequest): string {
  const body = request.body ? request.body.toString('utf8') : '';
  const shown = body.length > 600 ? `${body.slice(0, 600)}… (${request.body!.length} bytes)` : body;
  return `${request.method} ${request.path.length > 300 ? `${request.path.slice(0, 300)}…` : request.path}\n    headers ${JSON.stringify(request.headers)}\n    variant ${request.variant}${shown ? `\n    body ${shown}` : ''}`;
}

/** The problem code of an answer, when it is one. */
function problemCode(response: WireResponse): string | undefined {
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) return undefined;
  try {
    return JSON.parse(response.body.toString('utf8')).code;
  } catch {
    return undefined;
  }
}

/** Answers that stop at the door: the request never reached what the operation does. */
const REFUSED_AT_THE_DOOR = new Set(['unauthenticated', 'forbidden', 'csrf_failed', 'rate_limited']);

for (const database of testDatabases()) {
  describe(`every operation of the OpenAPI document, fuzzed with every kind of credential (${database})`, () => {
    let t: TestApp;
    let port: number;
    let doc: OpenApiDocument;
    let creds: Credential[];
    const knownIds = new Set<string>();
    const images: Buffer[] = [];
    before(async () => {
      t = await createTestApp({ database });
      await t.app.http.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.http.server.address() as AddressInfo).port;
      const served = await send(port, { method: 'GET', path: '/v1/openapi.json', headers: {}, variant: 'valid' }, {});
      assert.equal(served.status, 200);
      doc = JSON.parse(served.body.toString('utf8'));
      images.push(
        await makeImage('png', 16, 12),
        await makeImage('jpeg', 16, 12),
        await makeImage('gif', 8, 8),
        await makeImage('webp', 8, 8),
      );
      creds = await credentials(t, knownIds);
      await fixtures(t, knownIds, creds, images);
    });
    after(async () => t.close());

    test(`no request, fitting its schema or not, gets a 5xx, a dropped connection or an answer off its declared schema (seed ${SEED}, ${RUNS} runs)`, async (context) => {
      // Writes first, so that the reads after them list and export what the fuzzer stored; deletes last,
      // since ending sessions and removing things is what they do.
      const order = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];
      const operations = operationsOf(doc)
        .filter((op) => !ONLY || op.key.includes(ONLY))
        .sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method));
      assert.ok(operations.length > 0, `no operation matches LANYARD_FUZZ_ONLY=${ONLY}`);
      const checker = new ResponseChecker(doc);
      const failures: string[] = [];
      const undeclared = new Map<string, Set<number>>();
      const sent = new Map<string, number>();
      const statuses = new Map<string, Map<number, number>>();
      const reached = new Set<string>();
      const inputs = { knownIds: () => [...knownIds], images, maxDepth: MAX_DEPTH };

      for (const op of operations) {
        const requests = requestsFor(op, doc, inputs);
        for (const credential of creds) {
          const seed = seedOf(op, credential.name);
          const result = await fc.check(
            fc.asyncProperty(requests, async (request) => {
              let response: WireResponse;
              try {
                response = await send(port, request, credential.headers());
              } catch (error) {
                if (error instanceof DroppedConnection) throw new Error(`dropped connection: ${error.message}`);
                throw error;
              }
              sent.set(op.key, (sent.get(op.key) ?? 0) + 1);
              const counts = statuses.get(op.key) ?? new Map<number, number>();
              counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
              statuses.set(op.key, counts);
              const code = problemCode(response);
              if (!code || !REFUSED_AT_THE_DOOR.has(code)) reached.add(op.key);
              harvest(response, knownIds);
              const verdict = checker.check(op, response);
              if (verdict && 'failure' in verdict) throw new Error(verdict.failure);
              if (verdict && 'undeclared' in verdict) {
                if (!undeclared.has(op.key)) undeclared.set(op.key, new Set());
                undeclared.get(op.key)!.add(response.status);
                if (STRICT_STATUSES)
                  throw new Error(`answered ${response.status}, which the operation does not declare`);
              }
            }),
            { seed, numRuns: RUNS, endOnFailure: true },
          );
          if (result.failed) {
            const request = result.counterexample?.[0];
            const error =
              result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
            failures.push(
              `${op.key} with ${credential.name}: ${error}\n    ${request ? describeRequest(request) : '(no request)'}\n    replay: LANYARD_FUZZ_SEED=${SEED} LANYARD_FUZZ_RUNS=${RUNS} LANYARD_FUZZ_ONLY='${op.key}' (fast-check seed ${seed}, path ${result.counterexamplePath})`,
            );
          }
          if (!(await credential.alive())) await credential.renew();
        }
      }

      // The background work the requests queued (exports of the fuzzed items, messages) runs too, and the
      // server still answers after it.
      try {
        await t.drainJobs();
      } catch (error) {
        failures.push(`running the queued jobs failed: ${error instanceof Error ? error.stack : String(error)}`);
      }
      const still = await send(port, { method: 'GET', path: '/v1/openapi.json', headers: {}, variant: 'valid' }, {});
      assert.equal(still.status, 200, 'the server answers after the fuzzing and its jobs');

      for (const [key, codes] of undeclared)
        context.diagnostic(`undeclared status: ${key} answered ${[...codes].sort().join(', ')}`);
      if (process.env.LANYARD_FUZZ_STATS === '1') {
        for (const [key, counts] of statuses)
          context.diagnostic(
            `${key}: ${[...counts]
              .sort(([a], [b]) => a - b)
              .map(([status, n]) => `${status}×${n}`)
              .join(' ')}`,
          );
      }
      context.diagnostic(
        `${[...sent.values()].reduce((a, b) => a + b, 0)} requests to ${operations.length} operations, seed ${SEED}`,
      );
      assert.deepEqual(failures, [], `${failures.length} operation(s) failed the fuzzer:\n${failures.join('\n')}`);
      const unsent = operations.filter((op) => (sent.get(op.key) ?? 0) < RUNS * creds.length).map((op) => op.key);
      assert.deepEqual(unsent, [], 'every operation of the document gets every request meant for it');
      const neverReached = operations.filter((op) => !reached.has(op.key)).map((op) => op.key);
      assert.deepEqual(neverReached, [], 'every operation is reached past its guard by at least one credential');
    });
  });
}

describe('the fuzzer sees what it is meant to catch', () => {
  const op: Operation = {
    key: 'GET /v1/thing',
    method: 'GET',
    route: '/v1/thing',
    spec: {
      responses: {
        '200': {
          content: {
            'application/json': {
              schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
            },
          },
        },
        '204': {},
      },
    },
  };
  const checker = new ResponseChecker({ paths: { '/v1/thing': { get: op.spec } } });
  const answer = (status: number, type: string, body: unknown): WireResponse => ({
    status,
    headers: { 'content-type': type },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const problem = (status: number, extra: Record<string, unknown> = {}) =>
    answer(status, 'application/problem+json', {
      type: 'urn:x',
      title: 'T',
      status,
      detail: 'D',
      code: 'not_found',
      ...extra,
    });

  test('a 5xx, a body off its declared schema, an error that is not problem+json and a 204 with a body are failures', () => {
    const failed = (response: WireResponse) => {
      const verdict = checker.check(op, response);
      return verdict !== undefined && 'failure' in verdict;
    };
    assert.equal(failed(problem(500)), true);
    assert.equal(failed(answer(503, 'text/plain', 'closing')), true);
    assert.equal(failed(answer(200, 'application/json', { id: 7 })), true);
    assert.equal(failed(answer(200, 'text/html', '<p>')), true);
    assert.equal(failed(answer(404, 'application/json', { error: 'nope' })), true);
    assert.equal(failed(problem(404, { code: undefined })), true);
    assert.equal(failed(problem(404, { status: 400 })), true);
    assert.equal(failed(answer(204, 'application/json', { id: 'x' })), true);
  });

  test('a declared answer passes, and a problem for a status the operation does not declare is listed', () => {
    assert.equal(checker.check(op, answer(200, 'application/json; charset=utf-8', { id: 'x' })), undefined);
    assert.equal(checker.check(op, answer(204, '', '')), undefined);
    assert.deepEqual(checker.check(op, problem(404)), { undeclared: true });
  });

  test('a connection the server drops is reported as such, not as an answer', async () => {
    const server = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      await assert.rejects(
        send(port, { method: 'GET', path: '/', headers: {}, variant: 'valid' }, {}),
        DroppedConnection,
      );
    } finally {
      server.close();
    }
  });
});
