import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';

// GET /v1/openapi.json must agree with the contract, shared/API.md: every route of the sections built so
// far is in it, with the request and success response schemas, fields and statuses that API.md names.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const API_MD = path.resolve(repoRoot, '..', 'shared', 'API.md');
const SECTIONS = ['Sign-up, sign-in, sessions', 'Recovery', 'Devices', 'Cloud', 'Apps (OAuth 2 / OpenID Connect)', 'Deletion', 'Unlock requests'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Routes of the foundation that API.md does not spell out as `METHOD /path`. */
const ALSO_SERVED = ['DELETE /v1/sessions/others', 'POST /v1/me/phone', 'POST /v1/me/phone/confirm', 'GET /v1/openapi.json'];

/** The text of API.md's sections, read the way shared/tools/check-contract reads the whole file. */
function contractText(): string {
  if (!fs.existsSync(API_MD)) assert.fail(`The contract is missing: expected API.md at ${API_MD} (the shared folder beside the repository)`);
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
const expandAlternatives = (route: string): string[] => (route.includes('approve|reject') ? ['approve', 'reject'].map((w) => route.replace('approve|reject', w)) : [route]);

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
  const pattern = /`(GET|POST|PUT|DELETE|PATCH) (\/[^` ?]+)`((?:\s*(?:or\s+)?`\{[^`]*\}`)*)(?:\s*\([^`)]*\))?(?:\s*(→)\s*(\d{3})?\s*(?:`(\{[^`]*\})`)?)?/g;
  return [...text.matchAll(pattern)].flatMap(([, method, route, requests, arrow, status, response]) =>
    expandAlternatives(route!).map((r) => ({
      key: routeKey(method!, r),
      requests: [...(requests ?? '').matchAll(/`(\{[^`]*\})`/g)].map(([, body]) => parseShape(body!)[0]),
      ...(arrow ? { status: status ? Number(status) : 200 } : {}),
      ...(response ? { response: parseShape(response)[0] } : {}),
    })),
  );
}

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; additionalProperties?: unknown; anyOf?: Schema[] };

/** Asserts that a schema has every field of a contract shape, required unless the contract says optional. */
function assertShape(schema: Schema | undefined, shape: Shape, where: string, requireFields: boolean): void {
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
      if (requireFields && !field.optional && field.names.length === 1) assert.ok(schema.required?.includes(name), `${where}.${name} should be required`);
      assertShape(schema.properties[name], field.shape, `${where}.${name}`, requireFields);
    }
  }
}

type Operation = { requestBody?: { content?: Record<string, { schema?: Schema }> }; responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };

for (const database of testDatabases()) {
  describe(`GET /v1/openapi.json agrees with API.md (${database})`, () => {
    let t: TestApp;
    let doc: { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>> };
    const operations = new Map<string, Operation>();
    before(async () => {
      t = await createTestApp({ database });
      const response = await t.request('GET', '/v1/openapi.json');
      assert.equal(response.status, 200, response.text);
      doc = response.body;
      for (const [route, byMethod] of Object.entries(doc.paths ?? {})) {
        for (const [method, operation] of Object.entries(byMethod)) {
          if (METHODS.includes(method.toUpperCase())) operations.set(routeKey(method, route), operation);
        }
      }
    });
    after(async () => t.close());

    test('is an OpenAPI 3.1 document served as JSON, with a title, a version and paths', async () => {
      const response = await t.request('GET', '/v1/openapi.json');
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.deepEqual(response.body, JSON.parse(JSON.stringify(t.app.http.swagger())), 'the response schema must not drop parts of the document');
      assert.match(doc.openapi, /^3\.1\.\d+$/);
      assert.ok(doc.info.title && doc.info.version);
      assert.ok(operations.size > 0, 'the document lists no operations');
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
      for (const ref of refs) {
        const target = ref.slice(8, -1).replace(/^#\//, '').split('/');
        assert.ok(target.reduce<any>((node, part) => node?.[part], doc), `unresolved ${ref}`);
      }
    });

    test('has every route of the contract sections built so far, and GET /v1/openapi.json itself', () => {
      const wanted = [...contractRoutes(contractText()), ...ALSO_SERVED.map((r) => routeKey(r.split(' ')[0]!, r.split(' ')[1]!))];
      assert.ok(wanted.length >= 17, `API.md parsed to only ${wanted.length} routes: ${wanted.join(', ')}`);
      const missing = wanted.filter((key) => !operations.has(key));
      assert.deepEqual(missing, [], `missing from /v1/openapi.json: ${missing.join(', ')}`);
    });

    test('each of those operations declares its request body (closed to unknown fields) and its success response', () => {
      const wanted = [...contractRoutes(contractText()), ...ALSO_SERVED.map((r) => routeKey(r.split(' ')[0]!, r.split(' ')[1]!))];
      for (const key of wanted) {
        const operation = operations.get(key)!;
        const success = Object.entries(operation.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
        assert.ok(success.length > 0, `${key} declares no success response`);
        for (const [status, response] of success) {
          if (status === '204') assert.equal(response.content, undefined, `${key} 204 must have no body`);
          else assert.ok(response.content?.['application/json']?.schema?.type, `${key} ${status} declares no JSON schema`);
        }
        const method = key.split(' ')[0]!;
        // A cloud item is the person's own JSON (or photo bytes): its body is open by design.
        if (key === 'PUT /v1/cloud/{}/{}') {
          assert.ok(operation.requestBody?.content, `${key} declares no request body`);
          continue;
        }
        if (['POST', 'PUT', 'PATCH'].includes(method)) {
          const schema = operation.requestBody?.content?.['application/json']?.schema;
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
      assert.ok(described.filter((op) => op.requests.length > 0).length >= 6, 'API.md parsed to too few request bodies');
      for (const { key, requests, status, response } of described) {
        const operation = operations.get(key)!;
        const body = operation.requestBody?.content?.['application/json']?.schema;
        for (const shape of requests) assertShape(body, shape, `${key} request`, requests.length === 1);
        if (status === undefined) continue;
        const declared = Object.keys(operation.responses ?? {});
        assert.ok(declared.includes(String(status)), `${key} should answer ${status}, declares ${declared.join(', ')}`);
        if (response) assertShape(operation.responses?.[String(status)]?.content?.['application/json']?.schema, response, `${key} ${status}`, true);
      }
    });
  });
}
