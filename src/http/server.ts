import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Socket } from 'node:net';
import { lazySchemaCompilers } from './lazy-schemas.js';
import { requestId } from './request-id.js';
import { lazyChildLogger } from './lazy-logger.js';
import { AppError, errorRegistry, type ErrorCode, type FieldError } from './errors.js';
import { transformDocument, transformRoute } from './openapi.js';
import { OpenApiDocumentSchema } from './schemas.js';
import { isTooDeep, MAX_JSON_DEPTH } from './json-depth.js';

/** The Fastify instance every feature registers its routes on, typed by TypeBox schemas. */
export type HttpServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  logger: FastifyBaseLogger | false;
  trustProxy: boolean;
  baseUrl: string;
  version: string;
}

/**
 * What the API reference at /docs may load: its own files, its document, and nothing from elsewhere. The
 * one hash is a small style element swagger-ui's bundle adds at run time; allowing that exact text keeps
 * every other inline style out (docs.test.ts renders the page in Chromium and fails on any violation).
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const DOCS_OPERATION = {
  tags: ['meta'],
  operationId: 'getApiReference',
  summary: "This API's reference, to read in a browser (swagger-ui, served from this server's own files)",
  produces: ['text/html'],
  response: { 200: { type: 'string', description: 'The HTML page of the reference' } },
};

/** A read that takes this long or longer writes its summary line at info level (see the onResponse hook). */
export const SLOW_READ_MS = 1000;

/**
 * The security headers of every answer, as name and value in turn: what helmet 8 (through
 * @fastify/helmet) set with its defaults and the policy below, worked out once rather than per request.
 */
export function securityHeadersFor(baseUrl: string): readonly string[] {
  return [
    'Content-Security-Policy',
    "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;object-src 'none';base-uri 'none';frame-ancestors 'none'",
    'Cross-Origin-Opener-Policy',
    'same-origin',
    // Photos and exports are read by our own pages only.
    'Cross-Origin-Resource-Policy',
    'same-origin',
    'Origin-Agent-Cluster',
    '?1',
    'Referrer-Policy',
    'no-referrer',
    // HSTS only means something over https; behind http (development) it would only be noise.
    ...(baseUrl.startsWith('https:') ? ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'] : []),
    'X-Content-Type-Options',
    'nosniff',
    'X-DNS-Prefetch-Control',
    'off',
    'X-Download-Options',
    'noopen',
    'X-Frame-Options',
    'SAMEORIGIN',
    'X-Permitted-Cross-Domain-Policies',
    'none',
    'X-XSS-Protection',
    '0',
  ];
}

/** A JSON body is at most 64 KiB (API.md); larger bodies are refused before parsing. */
export const JSON_BODY_LIMIT = 64 * 1024;

/** Builds the Fastify server: problem+json errors, request ids, OpenAPI, strict JSON. */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const app = Fastify({
    loggerInstance: options.logger === false ? undefined : options.logger,
    logger: options.logger === false ? false : undefined,
    trustProxy: options.trustProxy,
    bodyLimit: JSON_BODY_LIMIT,
    // Cloud item ids are the client's: up to 200 characters, each up to 12 bytes once percent-encoded.
    routerOptions: { maxParamLength: 2400 },
    genReqId: requestId,
    // The request's child logger (with its reqId) is made when something logs, not for every request.
    childLoggerFactory: lazyChildLogger,
    // One summary line per request is written by the onResponse hook below instead.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // A URL the router cannot decode never reaches the error handler; answer it as problem+json too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      return sendProblem(request, reply, toAppError(error));
    },
    // A request Node's parser refuses (headers too large, broken framing, a bad Content-Length) never
    // reaches a route; it is still answered as problem+json, then the connection closes.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => writeProtocolProblem(error, socket),
    schemaController: { compilersFactory: lazySchemaCompilers() },
    ajv: {
      customOptions: {
        // Unknown fields are refused, not silently dropped (API.md Conventions).
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
      },
      plugins: [],
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpServer;

  // Only JSON is accepted; features that take other bodies (photos) register their own parser.
  app.removeContentTypeParser('text/plain');
  // Many clients send Content-Type: application/json on every request, DELETE included; an empty body
  // then means "no body", and the route's schema decides whether one was needed.
  // Fastify's own parser still does the work, refusing __proto__ and constructor poisoning.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    // Counted on the raw text before parsing: a deep body must be refused before any recursive code
    // (the validator, a serializer) sees it, on every route at once.
    if (isTooDeep(body as string))
      return done(new AppError('body_too_deep', `JSON may nest at most ${MAX_JSON_DEPTH} levels deep`));
    return parseJson(request, body as string, done);
  });

  app.register(cookie);
  // Every answer: nosniff, no referrer, no framing. HTML pages (sign-in, consent, the provider's own
  // error and logout pages, deletion-cancel) get a CSP that runs only our own scripts and styles, or the
  // ones a page names by hash; no plugins, no <base> rewriting. Headers are set on the raw response, so
  // the OpenID provider's pages, written on a hijacked reply, carry them too. A page that needs another
  // policy (the consent form's redirect, the API reference) sets its own header, which wins.
  const securityHeaders = securityHeadersFor(options.baseUrl);
  // One hook for what every answer carries (issue 18: @fastify/helmet built its middleware anew on every
  // request, in two hooks of its own, 8 % of the CPU of GET /v1/me under a profiler). It stays async: the
  // answer then waits for the parser to finish the bytes already received, so that a request with broken
  // framing after its headers is answered 400 malformed_request, not by its route (and then 400 as well).
  app.addHook('onRequest', async (request, reply) => {
    const raw = reply.raw;
    for (let i = 0; i < securityHeaders.length; i += 2) raw.setHeader(securityHeaders[i]!, securityHeaders[i + 1]!);
    reply.header('x-request-id', request.id);
  });
  // Answers are personal and many carry a token or secret (sign-in, device linking, CSRF, app secrets):
  // no cache keeps them, unless a route says otherwise (photos revalidate instead).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Lanyard API',
        version: options.version,
        description: 'The HTTP contract of Lanyard, the open account platform for device makers.',
      },
      servers: [{ url: options.baseUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A session or device token' },
          cookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'lanyard_session',
            description: 'Web session; state changes also need X-CSRF-Token',
          },
        },
      },
    },
    // swagger-ui hides its routes; its page is part of the contract (API.md: GET /docs), so it is listed.
    // The page answers at /docs as at /docs/ (the router's prefix rule), and /docs is the one API.md names.
    transform: (route) =>
      transformRoute(route.url === '/docs/' ? { ...route, url: '/docs', schema: DOCS_OPERATION } : route),
    transformObject: transformDocument,
  });
  // The API reference: swagger-ui from the package's own files, so it works offline and with no CDN. Its
  // page loads its script from a file (no inline script), so it runs under a CSP that allows only our
  // own origin; swagger-ui's default CSP would allow any https: style or font and upgrade requests to https.
  app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_CSP,
    uiConfig: { deepLinking: true, defaultModelsExpandDepth: 0, displayOperationId: true },
  });

  // The summary line of a request, at info level. A successful read (GET or HEAD answered below 400 within
  // SLOW_READ_MS) writes none unless the level is debug or trace: at a few thousand session checks a second
  // the line and its write to stdout were a tenth of the CPU of GET /v1/me (issue 18), and
  // lanyard_http_request_duration_seconds counts those requests by route and status anyway. Every change,
  // every refusal or failure and every slow read still writes its line.
  if (options.logger !== false && ['trace', 'debug', 'info'].includes(options.logger.level)) {
    const everyRequest = options.logger.level !== 'info';
    app.addHook('onResponse', (request, reply, done) => {
      const ms = reply.elapsedTime;
      const status = reply.statusCode;
      if (
        everyRequest ||
        status >= 400 ||
        ms >= SLOW_READ_MS ||
        (request.method !== 'GET' && request.method !== 'HEAD')
      ) {
        request.log.info(
          { method: request.method, url: request.routeOptions.url ?? 'unmatched', status, ms: Math.round(ms) },
          'request',
        );
      }
      done();
    });
  }

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const problem = toAppError(error);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  // A plugin loads after @fastify/swagger, so the document's onRoute hook sees (and lists) this route too.
  app.register(async (instance) => {
    instance.get(
      '/v1/openapi.json',
      {
        schema: {
          tags: ['meta'],
          operationId: 'getOpenApiDocument',
          summary: 'This API as an OpenAPI 3.1 document',
          response: { 200: OpenApiDocumentSchema },
        },
      },
      async () => instance.swagger(),
    );
  });
  return app;
}

/** Writes an AppError as RFC 9457 problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  if (error.extra.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.extra.retryAfterSeconds));
  const { retryAfterSeconds: _omit, ...extra } = error.extra;
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .serializer(JSON.stringify)
    .send({
      type: `urn:lanyard:problem:${error.code}`,
      title: errorRegistry[error.code].title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      requestId: request.id,
      ...extra,
    });
}

/** Answers a request that Node's HTTP parser refused, on the bare socket, as problem+json. */
function writeProtocolProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers_too_large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : 'malformed_request';
  const { status, title } = errorRegistry[code];
  const id = requestId();
  const body = JSON.stringify({
    type: `urn:lanyard:problem:${code}`,
    title,
    status,
    detail: title,
    code,
    requestId: id,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${id}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'validation_failed',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

const MAX_FIELD_ERRORS = 20;

function toAppError(error: FastifyError | AppError): AppError {
  if (error instanceof AppError) return error;
  if (error.validation) {
    const errors: FieldError[] = error.validation.map((issue) => {
      const params = issue.params as Record<string, unknown>;
      let path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
      if (typeof params.missingProperty === 'string')
        path = path ? `${path}.${params.missingProperty}` : params.missingProperty;
      if (typeof params.additionalProperty === 'string') {
        path = path ? `${path}.${params.additionalProperty}` : params.additionalProperty;
        return { path: `${error.validationContext}.${path}`, message: 'is not a known field' };
      }
      return {
        path: path ? `${error.validationContext}.${path}` : String(error.validationContext),
        message: issue.message ?? 'is not valid',
      };
    });
    // Every fault is listed (allErrors), but a body of thousands of unknown fields must not earn an answer ten times its size.
    const shown = errors.slice(0, MAX_FIELD_ERRORS);
    const more = errors.length > shown.length ? `; and ${errors.length - shown.length} more` : '';
    return new AppError('validation_failed', shown.map((e) => `${e.path} ${e.message}`).join('; ') + more, {
      errors: shown,
    });
  }
  const mapped = error.code ? fastifyCodes[error.code] : undefined;
  if (mapped === 'validation_failed' && error.code?.includes('JSON')) {
    return new AppError('validation_failed', 'The body is not valid JSON', {
      errors: [{ path: 'body', message: 'is not valid JSON' }],
    });
  }
  if (mapped === 'validation_failed')
    return new AppError('validation_failed', error.message, { errors: [{ path: 'body', message: error.message }] });
  if (mapped) return new AppError(mapped, errorRegistry[mapped].title);
  // PostgreSQL refuses NUL in text where SQLite stores it: that is the caller's bad input, never a 500.
  if (error.code === '22021' || error.code === '22P05') {
    return new AppError('validation_failed', 'Text must not contain NUL characters', {
      errors: [{ path: 'body', message: 'must not contain NUL characters' }],
    });
  }
  const status = error.statusCode ?? 500;
  if (status === 404) return new AppError('not_found');
  if (status === 405) return new AppError('method_not_allowed');
  if (status === 413) return new AppError('payload_too_large');
  if (status === 415) return new AppError('unsupported_media_type');
  if (status === 503) return new AppError('service_unavailable');
  if (status >= 400 && status < 500)
    return new AppError('validation_failed', error.message, { errors: [{ path: 'request', message: error.message }] });
  return new AppError('internal_error', 'Something went wrong on our side; quote the request id when you report it');
}
