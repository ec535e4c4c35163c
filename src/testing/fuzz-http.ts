import http from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FuzzRequest, OpenApiDocument, Operation } from './fuzz-requests.js';
import { withComponents } from './fuzz-requests.js';
import type { JsonSchema } from 'json-schema-faker';

// The wire side of the fuzzer: requests go over a real TCP connection to the listening server (a
// dropped connection is seen as such, which app.inject would hide), and every answer is held to the
// schema the document declares for its status.

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** An answer that never came, or came cut: what a client sees when the server drops the connection. */
export class DroppedConnection extends Error {}

/**
 * A request that has not answered in this long is reported as a hang. Not a timing assertion: the
 * slowest honest answer here (an argon2 hash) takes well under a second on a loaded machine.
 */
const HANG_MS = 60_000;

/** Sends one request on a fresh connection (no keep-alive: a reset is never a stale pooled socket). */
export function send(
  port: number,
  request: FuzzRequest,
  credentialHeaders: Record<string, string>,
): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers, ...credentialHeaders };
    if (request.body) headers['content-length'] = String(request.body.length);
    const req = http.request(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        // An event stream stays open by design: its status, headers and schema are what there is to check.
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.alloc(0) });
          res.destroy();
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('aborted', () => reject(new DroppedConnection('the server cut the answer short')));
        res.on('error', (error) => reject(new DroppedConnection(`the answer broke off: ${error.message}`)));
      },
    );
    req.setTimeout(HANG_MS, () => req.destroy(new DroppedConnection(`no answer in ${HANG_MS / 1000} s`)));
    req.on('error', (error) =>
      reject(
        error instanceof DroppedConnection
          ? error
          : new DroppedConnection(`the connection failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`),
      ),
    );
    req.end(request.body);
  });
}

/** RFC 9457 as API.md words it: the shape of every error answer, declared or not. */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', minLength: 1 },
    title: { type: 'string', minLength: 1 },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', pattern: '^[a-z][a-z0-9_.]*$' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** What was wrong with an answer; undefined when nothing was. */
export type Verdict = { failure: string } | { undeclared: true } | undefined;

/** Holds answers to the document's response declarations, compiling each schema once. */
export class ResponseChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true, logger: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly problem: ValidateFunction;

  constructor(private readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    // OpenAPI's own formats that JSON Schema does not define: nothing to check in a string.
    this.ajv.addFormat('binary', true);
    this.ajv.addFormat('byte', true);
    this.problem = this.ajv.compile(PROBLEM_SCHEMA);
  }

  private validator(key: string, schema: object): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(withComponents(schema as JsonSchema, this.doc) as object);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /** Checks one answer: never 5xx, errors as problem+json, declared bodies matching their schema. */
  check(op: Operation, response: WireResponse): Verdict {
    const { status } = response;
    if (status >= 500) return { failure: `answered ${status}: ${response.body.toString('utf8').slice(0, 500)}` };
    // An answer to HEAD has the headers of a GET and no body to hold to a schema.
    if (op.method === 'HEAD') return undefined;
    const mediaType = String(response.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    const parsed = (): { value?: unknown; failure?: string } => {
      try {
        return { value: JSON.parse(response.body.toString('utf8')) };
      } catch {
        return {
          failure: `answered ${status} ${mediaType} that is not JSON: ${response.body.toString('utf8').slice(0, 200)}`,
        };
      }
    };
    if (status >= 400) {
      if (mediaType !== 'application/problem+json')
        return { failure: `answered ${status} as "${mediaType}", not application/problem+json` };
      const { value, failure } = parsed();
      if (failure) return { failure };
      if (!this.problem(value))
        return {
          failure: `answered ${status} with a problem that is not RFC 9457: ${this.ajv.errorsText(this.problem.errors)}`,
        };
      if ((value as { status: number }).status !== status)
        return { failure: `answered ${status} with a problem whose status is ${(value as { status: number }).status}` };
    }
    const responses = op.spec.responses ?? {};
    const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!declared) return { undeclared: true };
    const content = declared.content;
    if (!content) {
      if (response.body.length === 0) return undefined;
      // HTTP itself forbids these a body; anywhere else the document has only left the body out.
      if (status === 204 || status === 304) return { failure: `answered ${status} with a body` };
      return { undeclared: true };
    }
    const entry = Object.entries(content).find(
      ([type]) => type === mediaType || (type.endsWith('/*') && mediaType.startsWith(type.slice(0, -1))),
    );
    if (!entry)
      return {
        failure: `answered ${status} as "${mediaType}", the document declares ${Object.keys(content).join(', ')}`,
      };
    const [type, { schema }] = entry;
    if (!/json/.test(type) || schema === undefined || typeof schema !== 'object') return undefined;
    // The event stream's declared schema describes its events, which are not read here.
    if (response.body.length === 0 && mediaType === 'text/event-stream') return undefined;
    const { value, failure } = parsed();
    if (failure) return { failure };
    const validate = this.validator(`${op.key} ${status} ${type}`, schema);
    if (!validate(value))
      return {
        failure: `answered ${status} with a body that does not match its declared schema: ${this.ajv.errorsText(validate.errors)}; body ${response.body.toString('utf8').slice(0, 300)}`,
      };
    return undefined;
  }
}
