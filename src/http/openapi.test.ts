import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { errorRegistry } from './errors.js';
import { committedForm, OPENAPI_FILE } from './openapi-file.js';
import type { Api } from '../testing/api-types.js';

// GET /v1/openapi.json must agree with the contract, docs/API.md (the project's copy of the shared
// contract): every route of the sections built so far is in it, with the request and success response
// schemas, fields and statuses that API.md names. And it must be good enough to generate a typed client
// from: operationIds, named schemas, Problem answers, security, and the committed copy up to date.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const API_MD = path.resolve(repoRoot, 'docs', 'API.md');
const SECTIONS = [
  'Sign-up, sign-in, sessions',
  'Recovery',
  'Devices',
  'Cloud',
  'Apps (OAuth 2 / OpenID Connect)',
  'Deletion',
  'Unlock requests',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Routes of the foundation that API.md does not spell out as `METHOD /path`. */
const ALSO_SERVED = [
  'DELETE /v1/sessions/others',
  'POST /v1/me/phone',
  'POST /v1/me/phone/confirm',
  'GET /v1/openapi.json',
];

/** The text of API.md's sections, read the way shared/tools/check-contract reads the whole file. */
function contractText(): string {
  if (!fs.existsSync(API_MD)) assert.fail(`The contract is missing: expected it at ${API_MD}`);
  const api = fs.readFileSync(API_MD, 'utf8');
  return SECTIONS.map((title) => {
    const start = api.indexOf(`\n## ${title}\n`);
    if (start < 0) assert.fail(`API.md has no section "## ${title}"`);
    const end = api.indexOf('\n## ', start + 1);
    return api.slice(start, end < 0 ? undefined : end);
  }).join('\n');
}

/** `/v1/sessions/{id}` and `/v1/sessions/{sessionId}` are one route: parameter names do not matter. */
const routeKey = (method: string, route: string) => `${method.toUpperCase()} ${route.replace(/\{[^}]*\}/g, '{}')}`;

/** `/x/{id}/approve|reject` stands for two routes, as check-contract reads it. */
const expandAlternatives = (route: string): string[] =>
  route.includes('approve|reject') ? ['approve', 'reject'].map((w) => route.replace('approve|reject', w)) : [route];

/** Every `METHOD /path` of the text, as check-contract finds them. */
function contractRoutes(text: string): string[] {
  const wanted = new Set<string>();
  for (const [, method, route] of text.matchAll(/`(GET|POST|PUT|DELETE|PATCH) (\/[^` ?]+)/g)) {
    for (const r of expandAlternatives(route!)) wanted.add(routeKey(method!, r));
  }
  return [...wanted].sort();
}

// API.md's shorthand for JSON shapes: `{email|phone, code, name?}`, `{sessions: [{id, kind: "web"|"api"}]}`.
type Shape = { kind: 'object'; fields: Field[] } | { kind: 'array'; item: Shape } | { kind: 'other' };
interface Field {
  names: string[];
  optional: boolean;
  shape: Shape;
}

function parseShape(text: string, at = 0): [Shape, number] {
  let i = at;
  const skip = () => {
    while (text[i] === ' ') i++;
  };
  skip();
  if (text[i] === '{') {
    i++;
    const fields: Field[] = [];
    for (skip(); text[i] !== '}' && i < text.length; skip()) {
      let name = '';
      while (i < text.length && !':,}'.includes(text[i]!)) name += text[i++];
      let shape: Shape = { kind: 'other' };
      if (text[i] === ':') [shape, i] = parseShape(text, i + 1);
      name = name.trim();
      fields.push({ names: name.replace(/\?$/, '').split('|'), optional: name.endsWith('?'), shape });
      skip();
      if (text[i] === ',') i++;
    }
    return [{ kind: 'object', fields }, i + 1];
  }
  if (text[i] === '[') {
    const [item, next] = parseShape(text, i + 1);
    i = next;
    skip();
    return [{ kind: 'array', item }, i + 1];
  }
  while (i < text.length && !',}]'.includes(text[i]!)) i++;
  return [{ kind: 'other' }, i];
}

interface ContractOperation {
  key: string;
  /** Alternative request bodies (`{email}` or `{phone}`). */
  requests: Shape[];
  /** The success status, when API.md gives the answer (`→ 201`; a bare `→` means 200). */
  status?: number;
  response?: Shape;
}

/** What API.md says of each route where it names it: request body, success status and response body. */
function contractOperations(text: string): ContractOperation[] {
  const pattern =
    /`(GET|POST|PUT|DELETE|PATCH) (\/[^` ?]+)`((?:\s*(?:or\s+)?`\{[^`]*\}`)*)(?:\s*\([^`)]*\))?(?:\s*(→)\s*(\d{3})?\s*(?:`(\{[^`]*\})`)?)?/g;
  return [...text.matchAll(pattern)].flatMap(([, method, route, requests, arrow, status, response]) =>
    expandAlternatives(route!).map((r) => ({
      key: routeKey(method!, r),
      requests: [...(requests ?? '').matchAll(/`(\{[^`]*\})`/g)].map(([, body]) => parseShape(body!)[0]),
      ...(arrow ? { status: status ? Number(status) : 200 } : {}),
      ...(response ? { response: parseShape(response)[0] } : {}),
    })),
  );
}

type Schema = {
  $ref?: string;
  type?: string;
  title?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: unknown;
  anyOf?: Schema[];
};

/** The document's named schemas, so that a `$ref` can be followed. */
let components: Record<string, Schema> = {};

/** A schema with its `$ref` (to components.schemas) followed. */
function deref(schema: Schema | undefined): Schema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  assert.ok(components[name], `unresolved ${schema.$ref}`);
  return deref(components[name]);
}

/**
 * The token of a sign-in (or re-authentication) is left out of the body when the session is a browser's
 * cookie (issue 13: the token lives in the HttpOnly cookie only), so the schema cannot require it.
 */
const OMITTED_FOR_COOKIE_SESSIONS =
  /^POST \/v1\/(signup\/complete|sessions|sessions\/second-factor|sessions\/passkey|session\/reauth) 20[01]\.token$/;

/** Asserts that a schema has every field of a contract shape, required unless the contract says optional. */
function assertShape(named: Schema | undefined, shape: Shape, where: string, requireFields: boolean): void {
  const schema = deref(named);
  assert.ok(schema, `${where}: no schema`);
  if (shape.kind === 'array') {
    assert.equal(schema.type, 'array', `${where} should be an array`);
    assertShape(schema.items, shape.item, `${where}[]`, requireFields);
  }
  if (shape.kind !== 'object') return;
  assert.equal(schema.type, 'object', `${where} should be an object`);
  for (const field of shape.fields) {
    for (const name of field.names) {
      assert.ok(schema.properties?.[name], `${where} lacks the field "${name}" that API.md names`);
      if (
        requireFields &&
        !field.optional &&
        field.names.length === 1 &&
        !OMITTED_FOR_COOKIE_SESSIONS.test(`${where}.${name}`)
      )
        assert.ok(schema.required?.includes(name), `${where}.${name} should be required`);
      assertShape(schema.properties[name], field.shape, `${where}.${name}`, requireFields);
    }
  }
}

type Content = Record<string, { schema?: Schema }>;
type Operation = {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  'x-access'?: string;
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

for (const database of testDatabases()) {
  describe(`GET /v1/openapi.json agrees with API.md (${database})`, () => {
    let t: TestApp;
    let doc: {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, Operation>>;
    };
    const operations = new Map<string, Operation>();
    before(async () => {
      t = await createTestApp({ database });
      const response = await t.request<typeof doc>('GET', '/v1/openapi.json');
      assert.equal(response.status, 200, response.text);
      doc = response.body;
      components = (doc as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas;
      for (const [route, byMethod] of Object.entries(doc.paths ?? {})) {
        for (const [method, operation] of Object.entries(byMethod)) {
          if (METHODS.includes(method.toUpperCase())) operations.set(routeKey(method, route), operation);
        }
      }
    });
    after(async () => t.close());

    test('is an OpenAPI 3.1 document served as JSON, with a title, a version and paths', async () => {
      const response = await t.request<Api<'OpenApiDocument'>>('GET', '/v1/openapi.json');
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.deepEqual(
        response.body,
        JSON.parse(JSON.stringify(t.app.http.swagger())),
        'the response schema must not drop parts of the document',
      );
      assert.match(doc.openapi, /^3\.1\.\d+$/);
      assert.ok(doc.info.title && doc.info.version);
      assert.ok(operations.size > 0, 'the document lists no operations');
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
      for (const ref of refs) {
        const target = ref.slice(8, -1).replace(/^#\//, '').split('/');
        assert.ok(
          target.reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc),
          `unresolved ${ref}`,
        );
      }
    });

    test('has every route of the contract sections built so far, and GET /v1/openapi.json itself', () => {
      const wanted = [
        ...contractRoutes(contractText()),
        ...ALSO_SERVED.map((r) => routeKey(r.split(' ')[0]!, r.split(' ')[1]!)),
      ];
      assert.ok(wanted.length >= 17, `API.md parsed to only ${wanted.length} routes: ${wanted.join(', ')}`);
      const missing = wanted.filter((key) => !operations.has(key));
      assert.deepEqual(missing, [], `missing from /v1/openapi.json: ${missing.join(', ')}`);
    });

    test('each of those operations declares its request body (closed to unknown fields) and its success response', () => {
      const wanted = [
        ...contractRoutes(contractText()),
        ...ALSO_SERVED.map((r) => routeKey(r.split(' ')[0]!, r.split(' ')[1]!)),
      ];
      for (const key of wanted) {
        const operation = operations.get(key)!;
        const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
        assert.ok(success.length > 0, `${key} declares no success response`);
        for (const [status, response] of success) {
          if (status === '204') assert.equal(response.content, undefined, `${key} 204 must have no body`);
          // A proof file is served as its bytes (an image or a PDF), not JSON.
          else if (key === 'GET /v1/admin/unlock-requests/{}/proofs/{}')
            assert.ok(response.content?.['application/pdf'], `${key} declares no file content`);
          else
            assert.ok(
              deref(response.content?.['application/json']?.schema)?.type,
              `${key} ${status} declares no JSON schema`,
            );
        }
        const method = key.split(' ')[0]!;
        // A cloud item is the person's own JSON (or photo bytes): its body is open by design.
        // So is a proof file's upload: the bytes of an image or a PDF.
        if (key === 'PUT /v1/cloud/{}/{}' || key === 'POST /v1/unlock-requests/{}/proofs') {
          assert.ok(operation.requestBody?.content, `${key} declares no request body`);
          continue;
        }
        if (['POST', 'PUT', 'PATCH'].includes(method)) {
          const schema = deref(operation.requestBody?.content?.['application/json']?.schema);
          assert.equal(schema?.type, 'object', `${key} declares no JSON request body`);
          assert.equal(schema?.additionalProperties, false, `${key} must refuse unknown fields`);
        }
      }
    });

    test('request fields, success statuses and response fields are the ones API.md names', () => {
      // Routes that "Added with the second round of work" restates take their shape from there:
      // re-authentication takes {password} or {method, code|response} (two-step verification).
      const restated = new Set(['POST /v1/session/reauth']);
      const described = contractOperations(contractText()).filter((op) => !restated.has(op.key));
      assert.ok(
        described.filter((op) => op.requests.length > 0).length >= 6,
        'API.md parsed to too few request bodies',
      );
      for (const { key, requests, status, response } of described) {
        const operation = operations.get(key)!;
        const body = operation.requestBody?.content?.['application/json']?.schema;
        for (const shape of requests) assertShape(body, shape, `${key} request`, requests.length === 1);
        if (status === undefined) continue;
        const declared = Object.keys(operation.responses ?? {});
        assert.ok(declared.includes(String(status)), `${key} should answer ${status}, declares ${declared.join(', ')}`);
        if (response)
          assertShape(
            operation.responses?.[String(status)]?.content?.['application/json']?.schema,
            response,
            `${key} ${status}`,
            true,
          );
      }
    });

    test('every operation has an operationId: a camelCase verb phrase, used once', () => {
      const seen = new Map<string, string>();
      for (const [key, operation] of operations) {
        const id = operation.operationId;
        assert.ok(id, `${key} has no operationId: add one to its schema`);
        assert.match(id, /^[a-z]+[A-Za-z0-9]*$/, `${key}: operationId ${id} is not camelCase`);
        assert.ok(!seen.has(id), `${key} and ${seen.get(id)} share the operationId ${id}`);
        seen.set(id, key);
      }
      for (const id of ['getMe', 'listDevices', 'createSession', 'linkDevice', 'requestDeletion', 'confirmDeletion'])
        assert.ok(seen.has(id), `no operation ${id}`);
    });

    test('every JSON request and response body is a named schema of components.schemas', () => {
      for (const [key, operation] of operations) {
        const bodies: Array<[string, Content | undefined]> = [
          ['request', operation.requestBody?.content],
          ...Object.entries(operation.responses ?? {}).map(([status, response]): [string, Content | undefined] => [
            status,
            response.content,
          ]),
        ];
        for (const [which, content] of bodies) {
          for (const [type, media] of Object.entries(content ?? {})) {
            // Bytes, HTML and event streams are not JSON: a typed client reads them as they are.
            if (!/json/.test(type)) continue;
            const ref = media.schema?.$ref;
            assert.ok(
              ref?.startsWith('#/components/schemas/'),
              `${key} ${which} ${type} is an inline schema: name it with named() in the feature's schemas.ts`,
            );
            const name = ref!.slice('#/components/schemas/'.length);
            assert.ok(components[name], `${key} ${which}: unresolved ${ref}`);
          }
        }
      }
      for (const name of ['Device', 'Session', 'Account', 'Problem', 'Command', 'Item', 'Export'])
        assert.ok(components[name], `no component ${name}`);
      for (const [name, schema] of Object.entries(components))
        assert.equal(schema.title, name, `components.schemas.${name} is titled ${schema.title}`);
    });

    test('every operation declares its 4xx answers as problem+json with the Problem schema', () => {
      for (const [key, operation] of operations) {
        const answers = Object.entries(operation.responses ?? {}).filter(([status]) => /^4\d\d$/.test(status));
        assert.ok(answers.length > 0, `${key} declares no 4xx answer`);
        for (const [status, answer] of answers) {
          assert.deepEqual(
            Object.keys(answer.content ?? {}),
            ['application/problem+json'],
            `${key} ${status} is not problem+json`,
          );
          assert.equal(
            answer.content!['application/problem+json']!.schema?.$ref,
            '#/components/schemas/Problem',
            `${key} ${status} is not a Problem`,
          );
        }
        const statuses = answers.map(([status]) => status);
        if ((operation.security ?? []).length > 0)
          for (const status of ['401', '403'])
            assert.ok(statuses.includes(status), `${key} is guarded but declares no ${status}`);
        if (operation.requestBody) assert.ok(statuses.includes('400'), `${key} takes a body but declares no 400`);
        if ((operation.parameters ?? []).some((p) => p.in === 'path'))
          assert.ok(statuses.includes('404'), `${key} names a resource but declares no 404`);
      }
    });

    test('every operation declares its security: none when public, bearer (and the cookie unless it is a device route) when guarded', () => {
      const schemes = Object.keys(
        (doc as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes,
      );
      assert.deepEqual(schemes.sort(), ['bearer', 'cookie']);
      for (const [key, operation] of operations) {
        assert.ok(Array.isArray(operation.security), `${key} declares no security`);
        assert.ok(operation['x-access'], `${key} does not say who may call it`);
        assert.equal(
          operation.security.length === 0,
          operation['x-access'] === 'anonymous',
          `${key}: security ${JSON.stringify(operation.security)} but access ${operation['x-access']}`,
        );
        for (const requirement of operation.security)
          for (const name of Object.keys(requirement))
            assert.ok(schemes.includes(name), `${key} names an unknown scheme ${name}`);
      }
      assert.deepEqual(operations.get('GET /v1/me')?.security, [{ bearer: [] }, { cookie: [] }]);
      assert.deepEqual(operations.get('POST /v1/sessions')?.security, []);
    });

    test('what the security declarations say is what the server does: a guarded operation asked without credentials answers 401', async () => {
      let checked = 0;
      for (const [route, byMethod] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(byMethod)) {
          // A body is validated before the guard runs; those operations are covered by their own tests.
          if ((operation.security ?? []).length === 0 || operation.requestBody) continue;
          const url = route.replace(/\{([^}]+)\}/g, (_match, name: string) => {
            type Values = { enum?: string[]; const?: string; anyOf?: Values[] };
            const first = (schema: Values | undefined): string | undefined =>
              schema ? (schema.enum?.[0] ?? schema.const ?? first(schema.anyOf?.[0])) : undefined;
            const parameter = (operation.parameters ?? []).find((p) => p.in === 'path' && p.name === name) as
              | { schema?: Values }
              | undefined;
            return first(parameter?.schema) ?? 'x';
          });
          const answer = await t.request<Api<'Problem'>>(method.toUpperCase(), url);
          assert.equal(
            answer.status,
            401,
            `${method.toUpperCase()} ${url} without credentials: ${answer.status} ${answer.text.slice(0, 200)}`,
          );
          assert.equal(answer.body.code, 'unauthenticated');
          checked++;
        }
      }
      assert.ok(checked >= 20, `only ${checked} guarded operations checked`);
    });

    test('the Problem schema lists every error code of the registry, and x-error-codes gives each its status and title', () => {
      const registry = Object.keys(errorRegistry).sort();
      const problem = components.Problem as Schema & { properties: { code: { enum: string[] } } };
      assert.deepEqual([...problem.properties.code.enum].sort(), registry);
      const exported = (
        doc as unknown as { 'x-error-codes': Record<string, { status: number; title: string; aliasOf?: string }> }
      )['x-error-codes'];
      assert.deepEqual(Object.keys(exported).sort(), registry);
      for (const [code, entry] of Object.entries(exported)) {
        assert.equal(entry.status, errorRegistry[code as keyof typeof errorRegistry].status);
        if (entry.aliasOf)
          assert.ok(exported[entry.aliasOf], `${code} is an alias of an unknown code ${entry.aliasOf}`);
      }
      // One situation, one code: two codes with the same title would be one situation under two names.
      const titles = Object.values(exported).map((entry) => entry.title);
      assert.equal(new Set(titles).size, titles.length, 'two error codes share a title');
      // The codes API.md names keep their names.
      for (const code of [
        'validation_failed',
        'invalid_credentials',
        'unauthenticated',
        'reauthentication_required',
        'forbidden',
        'not_found',
        'conflict',
        'code_invalid',
        'code_expired',
        'too_many_attempts',
        'rate_limited',
        'captcha_required',
        'payload_too_large',
        'devices_still_linked',
      ]) {
        assert.ok(exported[code], `the code ${code} of API.md is gone`);
      }
    });

    test('openapi/lanyard.json is the document the server serves', () => {
      const committed = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
      if (committed !== committedForm(doc)) {
        assert.fail(
          'openapi/lanyard.json differs from the document the server serves: run `npm run openapi` and commit openapi/lanyard.json',
        );
      }
    });
  });
}
