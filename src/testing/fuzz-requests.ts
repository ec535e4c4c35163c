import fc from 'fast-check';
import { generateSync, type JsonSchema } from 'json-schema-faker';

// Requests for every operation of the OpenAPI document, made by libraries nobody here wrote: values
// that fit a schema come from json-schema-faker (seeded by fast-check, so one fast-check seed replays
// the whole run), and everything that does not fit comes from fast-check's own arbitraries.

/** The parts of an OpenAPI 3.1 document the fuzzer reads. */
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: Record<string, unknown>;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

/** One operation of the document: `POST /v1/devices`. */
export interface Operation {
  key: string;
  method: string;
  route: string;
  spec: OpenApiOperation;
}

/** A request as it goes on the wire, printable so that a failure can be read and replayed. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** What the generator did, for the report: `valid`, `body: drop required "email"`, … */
  variant: string;
}

/** What request generation draws on beyond the document. */
export interface FuzzInputs {
  /** Ids the server handed out so far (devices, items, exports, …): real ids reach past "not found". */
  knownIds: () => string[];
  /** Real images for the photo uploads, which a random byte string would never be. */
  images: Buffer[];
  /** Deepest JSON nesting generated: see the fuzz test for why it is bounded. */
  maxDepth: number;
}

/** The operations a path item may hold (OpenAPI 3.1, "Path Item Object"). */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operation of the document, in its order. */
export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([route, byMethod]) =>
    Object.entries(byMethod)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, spec]) => ({
        key: `${method.toUpperCase()} ${route}`,
        method: method.toUpperCase(),
        route,
        spec,
      })),
  );
}

/**
 * A schema with the document's components beside it, so that `#/components/schemas/X` references
 * resolve against it the way they do in the document (for json-schema-faker and for ajv alike).
 */
export function withComponents(schema: JsonSchema, doc: OpenApiDocument): JsonSchema {
  if (typeof schema !== 'object' || !doc.components) return schema;
  return { ...schema, components: doc.components };
}

/** Bytes outside the unreserved set are percent-encoded from UTF-8 (lone surrogates included). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/** Values that fit a schema, from json-schema-faker, seeded by fast-check. */
function fitting(schema: JsonSchema, doc: OpenApiDocument): fc.Arbitrary<unknown> {
  // A schema that constrains nothing (a cloud item is the person's own JSON) fits any JSON value.
  if (
    schema === true ||
    (typeof schema === 'object' &&
      !Object.keys(schema).some((k) => !['description', 'title', 'examples', '$comment'].includes(k)))
  ) {
    return fc.jsonValue({ maxDepth: 4 });
  }
  const full = withComponents(schema, doc);
  return seed.map((s) => generateSync(full, { seed: s, maxDepth: 4, maxDefaultItems: 3, optionalsProbability: 0.6 }));
}

/** Text that a header may carry (Node refuses control characters on the wire before the server sees them). */
const headerText = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

/** Any JSON value, bounded in depth, its strings of any code unit (NUL and lone surrogates included). */
const anyJson = (maxDepth: number) => fc.jsonValue({ maxDepth: Math.min(maxDepth, 4), stringUnit: 'binary' });

/**
 * JSON text of an array or object nested up to `maxDepth` levels deep around a JSON value, written as
 * text: a value that deep would overflow the stack of JSON.stringify before the server ever saw it.
 */
function nested(maxDepth: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 1, max: maxDepth }), fc.boolean(), fc.jsonValue({ maxDepth: 1 }))
    .map(([depth, asArrays, leaf]) => {
      const inner = JSON.stringify(leaf) ?? 'null';
      return asArrays
        ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
    });
}

/** Path segments that routers, decoders and databases have tripped on. */
const ODD_SEGMENTS = [
  '%',
  '%zz',
  '%00',
  '%E0%A4%A',
  '%C0%AF',
  '%FF',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  'a%0Ab',
  '%20',
  ';',
  '~',
  '%27%20OR%201%3D1%20--',
  'null',
  'undefined',
  '0',
  '-1',
  '1e309',
  'NaN',
  '%F0%9F%98%80',
  '%EF%BF%BF',
];

function pathValue(param: OpenApiParameter, doc: OpenApiDocument, inputs: FuzzInputs): fc.Arbitrary<string> {
  const known = fc.nat().map((i) => {
    const ids = inputs.knownIds();
    return ids.length > 0 ? percentEncode(ids[i % ids.length]!) : 'none';
  });
  // A parameter from a closed list (a collection name) is never one of the ids handed out.
  const closed =
    typeof param.schema === 'object' && ['enum', 'const', 'anyOf', 'oneOf'].some((k) => k in (param.schema as object));
  // Mostly values that reach the operation's work; the odd ones are there to trip the router and decoders.
  return fc.oneof(
    { weight: 6, arbitrary: param.schema ? fitting(param.schema, doc).map((v) => percentEncode(String(v))) : known },
    { weight: closed ? 0 : 6, arbitrary: known },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)) },
  );
}

function queryPart(param: OpenApiParameter, doc: OpenApiDocument): fc.Arbitrary<string[]> {
  const name = encodeURIComponent(param.name);
  const valid: fc.Arbitrary<string[]> = param.schema
    ? fitting(param.schema, doc).map((v) => [`${name}=${percentEncode(String(v))}`])
    : fc.constant([`${name}=1`]);
  return fc.oneof(
    { weight: param.required ? 1 : 4, arbitrary: fc.constant<string[]>([]) },
    { weight: 5, arbitrary: valid },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((v) => [`${name}=${percentEncode(v)}`]) },
    { weight: 1, arbitrary: fc.tuple(valid, valid).map(([a, b]) => [...a, ...b]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string[]>(
        [`${name}`],
        [`${name}=`],
        [`${name}[]=1`],
        [`${name}=%`],
        [`${name}=-1`],
        [`${name}=1e400`],
      ),
    },
  );
}

function headerValue(param: OpenApiParameter, doc: OpenApiDocument): fc.Arbitrary<string | undefined> {
  const valid = param.schema
    ? fitting(param.schema, doc).map((v) => String(v).replace(/[^\x20-\x7e]/g, ''))
    : fc.constant('1');
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: valid },
    { weight: 1, arbitrary: headerText },
  );
}

interface Body {
  contentType?: string;
  body?: Buffer;
  variant: string;
}

const json = (value: unknown, variant: string, contentType = 'application/json'): Body => ({
  contentType,
  body: Buffer.from(JSON.stringify(value) ?? 'null'),
  variant,
});

/** A value that fits the schema, then changed in one of the ways a careless or hostile client would. */
function mutated(schema: JsonSchema, doc: OpenApiDocument, inputs: FuzzInputs): fc.Arbitrary<Body> {
  const base = fitting(schema, doc);
  const objectOf = (v: unknown): Record<string, unknown> =>
    v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
  const keyOf = (v: unknown, i: number) => {
    const keys = Object.keys(objectOf(v));
    return keys.length > 0 ? keys[i % keys.length]! : 'field';
  };
  return fc.oneof(
    fc.tuple(base, fc.nat()).map(([v, i]) => {
      const o = objectOf(v);
      const key = keyOf(v, i);
      delete o[key];
      return json(o, `body: without "${key}"`);
    }),
    fc
      .tuple(base, fc.nat(), anyJson(inputs.maxDepth))
      .map(([v, i, x]) => json({ ...objectOf(v), [keyOf(v, i)]: x }, `body: "${keyOf(v, i)}" of another type`)),
    fc
      .tuple(base, fc.string({ maxLength: 30 }), anyJson(inputs.maxDepth))
      .map(([v, k, x]) => json({ ...objectOf(v), [k]: x }, `body: unknown field "${k}"`)),
    fc
      .tuple(base, fc.nat(), fc.integer({ min: 256, max: 70_000 }))
      .map(([v, i, n]) =>
        json({ ...objectOf(v), [keyOf(v, i)]: 'é'.repeat(n) }, `body: "${keyOf(v, i)}" of ${n} characters`),
      ),
    fc
      .tuple(base, fc.nat(), fc.constantFrom('\u0000', 'a\u0000b', '\u202e', '\ud800', '\r\n', '%00', ' ', ''))
      .map(([v, i, x]) => json({ ...objectOf(v), [keyOf(v, i)]: x }, `body: "${keyOf(v, i)}" is ${JSON.stringify(x)}`)),
    fc
      .tuple(base, fc.nat(), fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, true, null, [], {}))
      .map(([v, i, x]) => json({ ...objectOf(v), [keyOf(v, i)]: x }, `body: "${keyOf(v, i)}" is ${JSON.stringify(x)}`)),
    fc.tuple(base, fc.nat(), nested(inputs.maxDepth)).map(([v, i, text]): Body => {
      const marker = '\u0000nested\u0000';
      const around = JSON.stringify({ ...objectOf(v), [keyOf(v, i)]: marker });
      return {
        contentType: 'application/json',
        body: Buffer.from(around.replace(JSON.stringify(marker), text)),
        variant: `body: "${keyOf(v, i)}" nested`,
      };
    }),
    anyJson(inputs.maxDepth).map((v) => json(v, 'body: any JSON')),
    nested(inputs.maxDepth).map(
      (text): Body => ({ contentType: 'application/json', body: Buffer.from(text), variant: 'body: nested JSON' }),
    ),
    base.map((v) => json(v, 'body: valid, as text/plain', 'text/plain')),
    base.map((v) => json(v, 'body: valid, as form data', 'application/x-www-form-urlencoded')),
    base.map((v) => json(v, 'body: valid, with a charset', 'application/json; charset=utf-8')),
    base.map((v) => json(v, 'body: valid, JSON in capitals', 'APPLICATION/JSON')),
    base.map((v): Body => ({ body: Buffer.from(JSON.stringify(v) ?? ''), variant: 'body: valid, no content type' })),
    fc.tuple(base, fc.nat()).map(([v, cut]): Body => {
      const text = JSON.stringify(v) ?? '';
      return {
        contentType: 'application/json',
        body: Buffer.from(text.slice(0, cut % Math.max(1, text.length))),
        variant: 'body: truncated JSON',
      };
    }),
    fc
      .string({ unit: 'binary', maxLength: 200 })
      .map((s): Body => ({ contentType: 'application/json', body: Buffer.from(s), variant: 'body: not JSON' })),
    fc.constantFrom<Body>(
      { contentType: 'application/json', body: Buffer.alloc(0), variant: 'body: empty' },
      {
        contentType: 'application/json',
        body: Buffer.from('{"__proto__":{"admin":true}}'),
        variant: 'body: __proto__',
      },
      {
        contentType: 'application/json',
        body: Buffer.from('{"constructor":{"prototype":{"admin":true}}}'),
        variant: 'body: constructor.prototype',
      },
      { contentType: 'application/json', body: Buffer.from('{"a":1,"a":2}'), variant: 'body: duplicate key' },
      { contentType: 'application/json', body: Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), variant: 'body: BOM' },
      {
        contentType: 'application/json',
        body: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
        variant: 'body: UTF-16',
      },
      {
        contentType: 'multipart/form-data; boundary=x',
        body: Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'),
        variant: 'body: multipart',
      },
      { contentType: 'application/json', body: Buffer.from('1e99999'), variant: 'body: huge number' },
      { contentType: 'application/json', body: Buffer.from('"\\ud800"'), variant: 'body: lone surrogate' },
    ),
  );
}

/** Request bodies for the operation: mostly fitting its schema, often not. */
function bodies(op: Operation, doc: OpenApiDocument, inputs: FuzzInputs): fc.Arbitrary<Body> {
  const content = op.spec.requestBody?.content ?? {};
  const jsonSchema = content['application/json']?.schema;
  const imageTypes = Object.keys(content).filter((type) => type.startsWith('image/'));
  const choices: fc.WeightedArbitrary<Body>[] = [];
  if (jsonSchema !== undefined) {
    choices.push({ weight: 5, arbitrary: fitting(jsonSchema, doc).map((v) => json(v, 'valid')) });
    choices.push({ weight: 5, arbitrary: mutated(jsonSchema, doc, inputs) });
  } else {
    choices.push({ weight: 5, arbitrary: fc.constant<Body>({ variant: 'valid, no body' }) });
    choices.push({ weight: 1, arbitrary: anyJson(inputs.maxDepth).map((v) => json(v, 'an unexpected JSON body')) });
    choices.push({
      weight: 1,
      arbitrary: fc.constant<Body>({
        contentType: 'application/json',
        body: Buffer.alloc(0),
        variant: 'empty JSON body',
      }),
    });
  }
  if (imageTypes.length > 0 && inputs.images.length > 0) {
    const image = fc.nat().map((i) => inputs.images[i % inputs.images.length]!);
    choices.push({
      weight: 3,
      arbitrary: fc
        .tuple(image, fc.constantFrom(...imageTypes))
        .map(([body, contentType]) => ({ contentType, body, variant: `image as ${contentType}` })),
    });
    choices.push({
      weight: 2,
      arbitrary: fc.tuple(image, fc.nat(), fc.constantFrom(...imageTypes)).map(([img, cut, contentType]) => ({
        contentType,
        body: img.subarray(0, cut % img.length),
        variant: `truncated image as ${contentType}`,
      })),
    });
    choices.push({
      weight: 1,
      arbitrary: fc
        .tuple(fc.uint8Array({ maxLength: 2048 }), fc.constantFrom(...imageTypes))
        .map(([bytes, contentType]) => ({
          contentType,
          body: Buffer.from(bytes),
          variant: `random bytes as ${contentType}`,
        })),
    });
  }
  return fc.oneof(...choices);
}

/** Every request the fuzzer may send to one operation (credentials are added by the caller). */
export function requestsFor(op: Operation, doc: OpenApiDocument, inputs: FuzzInputs): fc.Arbitrary<FuzzRequest> {
  const params = op.spec.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const headerParams = params.filter((p) => p.in === 'header');
  return fc
    .record({
      path: fc.tuple(...pathParams.map((p) => pathValue(p, doc, inputs))),
      query: fc.tuple(...queryParams.map((p) => queryPart(p, doc))),
      unknownQuery: fc.oneof(
        { weight: 9, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((k) => `${percentEncode(k || 'x')}=1`) },
      ),
      headers: fc.tuple(...headerParams.map((p) => headerValue(p, doc))),
      body: bodies(op, doc, inputs),
    })
    .map(({ path, query, unknownQuery, headers, body }) => {
      let url = op.route;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, path[i]!)));
      const parts = [...query.flat(), ...(unknownQuery ? [unknownQuery] : [])];
      if (parts.length > 0) url += `?${parts.join('&')}`;
      const sent: Record<string, string> = {};
      headerParams.forEach((p, i) => {
        if (headers[i] !== undefined) sent[p.name] = headers[i]!;
      });
      if (body.contentType) sent['content-type'] = body.contentType;
      return {
        method: op.method,
        path: url,
        headers: sent,
        ...(body.body ? { body: body.body } : {}),
        variant: body.variant,
      };
    });
}
