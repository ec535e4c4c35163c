import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
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
import { uuidv7 } from 'uuidv7';
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
    genReqId: () => uuidv7(),
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
  // policy (the consent form's redirect) sets its own header, which wins.
  app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS only means something over https; behind http (development) it would only be noise.
    strictTransportSecurity: options.baseUrl.startsWith('https:') ? { maxAge: 31536000 } : false,
    // Photos and exports are read by our own pages only.
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  // Answers are personal and many carry a token or secret (sign-in, device linking, CSRF, app secrets):
  // no cache keeps them, unless a route says otherwise (photos revalidate instead).
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
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

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // The summary line is written at info level; above it the hook would only cost every request time.
  if (options.logger !== false && ['trace', 'debug', 'info'].includes(options.logger.level)) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        {
          method: request.method,
          url: request.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
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
  const requestId = uuidv7();
  const body = JSON.stringify({ type: `urn:lanyard:problem:${code}`, title, status, detail: title, code, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
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
