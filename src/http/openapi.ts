import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { TSchema } from 'typebox';
import { errorRegistry } from './errors.js';

// How the OpenAPI document is made good enough to generate a typed client from (openapi-typescript +
// openapi-fetch): named component schemas instead of the same object inlined twenty times, a security
// declaration and the Problem answers on every operation. Written once here rather than by hand on every
// route, so that a new route gets them by being declared like the others.

const COMPONENTS = '#/components/schemas/';

/** Schemas given a name with `named()`, so the document can tell them from any other `title`. */
const names = new Map<string, TSchema>();

/**
 * Names a schema: it lands in the document's `components.schemas` under that name and every request or
 * response that uses it refers to it by `$ref`. The name rides in `title`, an annotation that validation
 * and serialization ignore, so the route keeps the very object it validates with (and its static type).
 */
export function named<T extends TSchema>(name: string, schema: T): T {
  if (names.has(name)) throw new Error(`Two schemas are named ${name}: each component name is used once`);
  names.set(name, schema);
  (schema as { title?: string }).title = name;
  return schema;
}

/** What each kind of guard lets in, as OpenAPI security requirements (the schemes of server.ts). */
const ACCOUNT_OR_DEVICE: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];
const DEVICE_ONLY: Array<Record<string, string[]>> = [{ bearer: [] }];

type RouteLike = { config?: unknown };

/** The access a route declares (set by enforceDeclaredAccess in http/auth.ts from its guard); anonymous without one. */
export function accessOf(route: RouteLike): string {
  const access = (route.config as { access?: string } | undefined)?.access;
  return access ?? 'anonymous';
}

/**
 * @fastify/swagger's per-route transform: the operation's `security` follows its guard (a device token is
 * a bearer token only; the others also come as the session cookie), `[]` for an anonymous route.
 */
export const transformRoute: SwaggerTransform = ({ schema, url, route }) => {
  if (!schema) return { schema, url };
  const access = accessOf(route);
  const security =
    schema.security ?? (access === 'anonymous' ? [] : access === 'device' ? DEVICE_ONLY : ACCOUNT_OR_DEVICE);
  const problems = (route.config as { problems?: readonly number[] } | undefined)?.problems;
  return {
    schema: { ...schema, security, 'x-access': access, ...(problems ? { 'x-problems': [...problems] } : {}) },
    url,
  };
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep equality of two schemas, their descriptions aside (a use may describe a named schema its own way). */
function sameSchema(a: JsonObject, b: JsonObject): boolean {
  const { description: _a, ...left } = a;
  const { description: _b, ...right } = b;
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right));
}

/** A copy with every object's keys in order: the committed document is stable whatever the wiring order. */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key]!)]),
  );
}

function withDescription(schema: JsonObject, description: string | undefined): JsonObject {
  const { description: _old, ...rest } = schema;
  return description === undefined ? rest : { ...rest, description };
}

/** Replaces each named schema (inner ones first) by a `$ref`, collecting its one definition into `found`. */
function hoist(node: Json, found: Map<string, JsonObject>): Json {
  if (Array.isArray(node)) return node.map((item) => hoist(item, found));
  if (!isObject(node)) return node;
  const copy: JsonObject = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, hoist(value, found)]));
  const name = copy.title;
  if (typeof name !== 'string' || !names.has(name)) return copy;
  const known = found.get(name);
  // The component is described as the named schema is; a use that says more keeps its own words.
  if (!known) found.set(name, withDescription(copy, (names.get(name) as { description?: string }).description));
  else if (!sameSchema(known, copy)) return copy; // a variant built from a named schema: it stays inline
  const ref: JsonObject = { $ref: `${COMPONENTS}${name}` };
  // OpenAPI 3.1 lets a $ref carry its own description; keep the one this use gives.
  const canonical = found.get(name)!;
  if (typeof copy.description === 'string' && copy.description !== canonical.description)
    ref.description = copy.description;
  return ref;
}

/** The problem+json body every error answer has (sendProblem in server.ts), its code one of the registry. */
export function problemSchema(): JsonObject {
  return {
    type: 'object',
    title: 'Problem',
    description: 'RFC 9457 problem details. Translate by `code`, never by `title` or `detail`.',
    required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
    properties: {
      type: { type: 'string', description: 'urn:lanyard:problem:<code>' },
      title: { type: 'string', description: 'What the code means, in English' },
      status: { type: 'integer', description: 'The HTTP status' },
      detail: { type: 'string', description: 'What happened this time, in English' },
      code: {
        type: 'string',
        enum: Object.keys(errorRegistry),
        description: 'The stable error code (see x-error-codes)',
      },
      requestId: { type: 'string', description: 'Quote it when you report a problem; also the x-request-id header' },
      errors: {
        type: 'array',
        description: 'validation_failed: every field that is wrong',
        items: {
          type: 'object',
          required: ['path', 'message'],
          properties: { path: { type: 'string' }, message: { type: 'string' } },
        },
      },
      currentVersion: {
        type: ['integer', 'null'],
        description: 'Cloud version conflicts: the version stored now (null: none)',
      },
      quotaBytes: { type: 'integer', description: 'quota_exceeded: the account’s storage quota' },
      reason: { type: 'string', description: 'captcha_required: why the captcha was refused' },
    },
    additionalProperties: true,
  };
}

/** The 4xx answers an operation may give, each with the problem+json body. */
const PROBLEM_ANSWERS: Record<string, string> = {
  '400': 'The request is not valid (validation_failed and the other 400 codes)',
  '401': 'No valid session or token (unauthenticated, invalid_credentials)',
  '403': 'The credential may not do this (forbidden, csrf_failed, reauthentication_required…)',
  '404': 'Not found (not_found)',
  '409': 'Conflict with the current state (see the code)',
  '413': 'The body is too large (payload_too_large, quota_exceeded)',
  '415': 'The body is not of a type this operation takes (unsupported_media_type)',
  '422': 'The stored item can no longer be read (item_unreadable); overwrite or delete it',
  '429': 'Too many requests or wrong codes (rate_limited with Retry-After, too_many_attempts)',
};

/** Which 4xx answers apply, from what the operation takes and whether it is guarded. */
function problemStatuses(method: string, operation: JsonObject): string[] {
  const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
  const hasPathParameter = parameters.some((p) => isObject(p) && p.in === 'path');
  const guarded = Array.isArray(operation.security) && operation.security.length > 0;
  const changes = ['post', 'put', 'patch', 'delete'].includes(method);
  const statuses = ['400'];
  if (guarded) statuses.push('401', '403');
  if (hasPathParameter) statuses.push('404');
  if (changes) statuses.push('409');
  if (operation.requestBody !== undefined) statuses.push('413', '415');
  statuses.push('429');
  // What a route answers beyond the rule, declared beside it (`config.problems`).
  const extra = Array.isArray(operation['x-problems']) ? operation['x-problems'].map(String) : [];
  return [...new Set([...statuses, ...extra])].sort();
}

/**
 * @fastify/swagger's whole-document transform: named schemas become components, every operation gets its
 * Problem answers, and the registry of error codes is exported as `x-error-codes`.
 */
export const transformDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) throw new Error('Lanyard serves OpenAPI 3, not Swagger 2');
  const openapiObject = documentObject.openapiObject as Record<string, unknown>;
  const found = new Map<string, JsonObject>();
  const paths = hoist(openapiObject.paths as Json, found) as Record<string, Record<string, JsonObject>>;
  const problemRef = { $ref: `${COMPONENTS}Problem` };
  for (const byMethod of Object.values(paths)) {
    for (const [method, operation] of Object.entries(byMethod)) {
      if (!isObject(operation.responses)) continue;
      for (const status of problemStatuses(method, operation)) {
        const description = PROBLEM_ANSWERS[status];
        if (description === undefined)
          throw new Error(`${method.toUpperCase()} declares a ${status} answer that PROBLEM_ANSWERS does not describe`);
        operation.responses[status] ??= {
          description,
          content: { 'application/problem+json': { schema: problemRef } },
        };
      }
      delete operation['x-problems'];
    }
  }
  const components = (openapiObject.components ?? {}) as JsonObject;
  const schemas: JsonObject = { ...(isObject(components.schemas) ? components.schemas : {}), Problem: problemSchema() };
  for (const [name, schema] of found) schemas[name] = schema;
  const errorCodes = Object.fromEntries(Object.entries(errorRegistry).map(([code, entry]) => [code, { ...entry }]));
  return {
    ...openapiObject,
    paths,
    components: { ...components, schemas },
    'x-error-codes': errorCodes,
  } as ReturnType<SwaggerTransformObject>;
};
