import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../http/errors.js';
import type { HttpServer } from '../http/server.js';

/** How the two pages appear in the OpenAPI document (API.md names `GET /` and `GET /admin`). */
const PAGE_SCHEMA = {
  tags: ['portal'],
  produces: ['text/html'],
  response: { 200: { type: 'string', description: 'The HTML page' } },
} as const;

/** Where `npm run build -w web` writes the portal. */
export const PORTAL_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

// The portal's own scripts and styles only: no inline script, no inline <style> (the ALTCHA widget is
// loaded from its "external" build for that reason), nothing from other origins. The PBKDF2 worker of
// the captcha is one of our files too.
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The staff console's: the portal's, except that images may come from any https origin, for the apps'
 * logos (https URLs that admins set; each loaded with no referrer). Scripts, styles and connections
 * stay our own.
 */
const CONSOLE_CSP = PORTAL_CSP.replace("img-src 'self' data:", "img-src 'self' data: https:");

/** The staff console's page in the same build (a second Vite entry). */
export const CONSOLE_PAGE = 'admin.html';

/** The portal's sign-in page in the same build: an entry of its own, lighter than the portal's (web/sign-in.html). */
export const SIGN_IN_PAGE = 'sign-in.html';

/**
 * Serves the account portal at `/`, its sign-in page at `/sign-in` and the staff console at `/admin`:
 * hashed assets (`/assets/…`) cached for a year as immutable, the HTML never cached, index.html for the
 * portal's client routes (any GET outside /v1 that accepts HTML and matches no file), and the console's
 * page for `/admin` and its client routes. Without a build (a server started from `src/` before
 * `npm run build`), `/` says how to build it instead.
 */
export function registerPortal(app: HttpServer, options: { dist?: string } = {}): void {
  const dist = options.dist ?? PORTAL_DIST;
  const indexFile = path.join(dist, 'index.html');
  const built = fs.existsSync(indexFile);
  const htmlHeaders = (reply: { header(name: string, value: string): unknown }, csp: string) => {
    reply.header('cache-control', 'no-cache, no-store, must-revalidate');
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
  };

  if (built) {
    app.register(fastifyStatic, {
      root: dist,
      // Routes per file (the build is fixed while the server runs), so that the fallback below is ours.
      wildcard: false,
      index: false,
      serve: true,
      schemaHide: true,
      // The build writes .br and .gz copies (web/scripts/compress.mjs): sent as they are to browsers that take them.
      preCompressed: true,
      // @fastify/static 10 hands over Fastify's reply here.
      setHeaders(reply: { header(name: string, value: string): unknown }, filePath: string) {
        const hashed = filePath.startsWith(path.join(dist, 'assets') + path.sep);
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        reply.header('x-content-type-options', 'nosniff');
      },
    });
  }

  const sendPage = async (reply: FastifyReply, file: string, csp = PORTAL_CSP) => {
    htmlHeaders(reply, csp);
    if (!built) {
      return reply
        .type('text/html; charset=utf-8')
        .send('<!doctype html><title>Lanyard</title><p>The portal is not built: run <code>npm run build</code>.</p>');
    }
    return reply.type('text/html; charset=utf-8').send(await fs.promises.readFile(file));
  };
  const sendIndex = (reply: FastifyReply) => sendPage(reply, indexFile);
  const consoleFile = path.join(dist, CONSOLE_PAGE);
  const signInFile = path.join(dist, SIGN_IN_PAGE);
  const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

  // The staff console: its own page (its own scripts), the portal's headers, its CSP (CONSOLE_CSP).
  app.get(
    '/admin',
    {
      schema: {
        ...PAGE_SCHEMA,
        operationId: 'getStaffConsole',
        summary: 'The staff console (HTML; its routes below /admin answer the same page)',
      },
    },
    async (_request, reply) => sendPage(reply, consoleFile, CONSOLE_CSP),
  );
  app.get('/admin/*', { schema: { hide: true } }, async (request, reply) => {
    if (!wantsHtml(request))
      throw new AppError('not_found', `No route for ${request.method} ${request.url.split('?')[0]!}`);
    return sendPage(reply, consoleFile, CONSOLE_CSP);
  });

  // The portal's sign-in page: its own page (React and the form alone), the portal's headers and CSP.
  // One of the portal's pages like the client routes below, so not listed in the OpenAPI document either.
  app.get('/sign-in', { schema: { hide: true } }, async (_request, reply) => sendPage(reply, signInFile));

  app.get(
    '/',
    {
      schema: {
        ...PAGE_SCHEMA,
        operationId: 'getPortal',
        summary: 'The account portal (HTML; its client routes answer the same page)',
      },
    },
    async (_request, reply) => sendIndex(reply),
  );
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0]!;
    // The API's unknown paths stay problem+json, like every other unknown route.
    if (pathname === '/v1' || pathname.startsWith('/v1/') || !wantsHtml(request) || pathname.startsWith('/assets/')) {
      throw new AppError('not_found', `No route for ${request.method} ${pathname}`);
    }
    return sendIndex(reply);
  });
}
