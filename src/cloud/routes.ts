import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { authOf, type Guards } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { ChangesQuery, ChangesSchema, ItemParams, ItemSchema, ItemWrittenSchema, PhotoParams, SummarySchema } from './schemas.js';
import { DEFAULT_PAGE, MAX_PAGE, type CloudService, type JsonCollection, type Precondition } from './service.js';

const Binary = { type: 'string', format: 'binary' } as const;
const PreconditionHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'The version the client last saw ("3" or 3): the write happens only if it is still the current one, else 409 conflict. "*": only if the item exists.' })),
  'if-none-match': Type.Optional(Type.String({ description: '"*": create only, 409 conflict if the item exists' })),
});

/** Reads If-Match / If-None-Match into a precondition; a malformed one is the caller's error (400). */
function preconditionOf(request: FastifyRequest): Precondition {
  const single = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const precondition: Precondition = {};
  const ifNoneMatch = single('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw invalidField('headers.if-none-match', 'must be *');
    precondition.ifNoneMatch = true;
  }
  const ifMatch = single('if-match');
  if (ifMatch !== undefined) {
    const trimmed = ifMatch.trim();
    const version = /^(?:W\/)?"?([0-9]{1,9})"?$/.exec(trimmed)?.[1];
    if (trimmed === '*') precondition.ifMatch = '*';
    else if (version !== undefined && Number(version) >= 1) precondition.ifMatch = Number(version);
    else throw invalidField('headers.if-match', 'must be a version number, such as 3, or *');
  }
  return precondition;
}

function sendPhotoStream(reply: FastifyReply, stream: Readable, contentType: string, size?: number) {
  reply.header('content-type', contentType);
  if (size !== undefined) reply.header('content-length', String(size));
  // User content: the browser must take it for what we say it is, and keep it out of shared caches.
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'private, no-cache');
  return reply.send(stream);
}

/** Cloud sync: items of five collections, delta pages, photos and their thumbnails, usage. */
export function registerCloudRoutes(app: HttpServer, deps: { cloud: CloudService; guards: Guards }) {
  const { cloud, guards } = deps;
  const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

  // Encapsulated, so that only cloud routes take raw bodies: a photo arrives as a stream and is never
  // buffered whole. What it is gets decided by its bytes, not by this header.
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const passThrough = (_request: FastifyRequest, payload: NodeJS.ReadableStream, done: (error: Error | null, body?: unknown) => void) => done(null, payload);
    scope.addContentTypeParser('application/octet-stream', passThrough);
    scope.addContentTypeParser(/^image\/[a-z0-9.+-]+$/i, passThrough);

    scope.get('/v1/cloud', {
      schema: { tags: ['cloud'], summary: 'Counts and bytes per collection, and the quota', security, response: { 200: SummarySchema } },
      preHandler: guards.accountOrDevice,
    }, async (request) => cloud.summary(authOf(request).accountId));

    scope.get('/v1/cloud/:collection', {
      schema: {
        tags: ['cloud'],
        summary: 'Delta sync: what changed and what was deleted since the cursor, a page at a time',
        security,
        params: Type.Object({ collection: ItemParams.properties.collection }),
        querystring: ChangesQuery,
        response: { 200: ChangesSchema },
      },
      preHandler: guards.accountOrDevice,
    }, async (request) => {
      const limit = request.query.limit === undefined ? DEFAULT_PAGE : Number(request.query.limit);
      if (limit < 1 || limit > MAX_PAGE) throw invalidField('querystring.limit', `must be from 1 to ${MAX_PAGE}`);
      return cloud.listChanges(authOf(request).accountId, request.params.collection, request.query.since, limit);
    });

    scope.put('/v1/cloud/:collection/:itemId', {
      schema: {
        tags: ['cloud'],
        summary: 'Create or replace an item: JSON (at most 64 KiB), or for photos the image bytes (Content-Type image/*)',
        description:
          'Without If-Match the item is created or overwritten. With If-Match: <version> it is written only if that is still the current version (409 conflict otherwise, with currentVersion).',
        security,
        consumes: ['application/json', 'image/jpeg', 'image/png', 'image/heic', 'image/webp', 'image/gif'],
        params: ItemParams,
        headers: PreconditionHeaders,
        body: Type.Unknown({ description: 'The JSON item, or the photo bytes' }),
        response: { 200: ItemWrittenSchema },
      },
      preHandler: guards.accountOrDevice,
    }, async (request) => {
      const { accountId } = authOf(request);
      const { collection, itemId } = request.params;
      const precondition = preconditionOf(request);
      const isStream = request.body instanceof Readable;
      if (collection === 'photos') {
        if (!isStream) throw new AppError('unsupported_media_type', "Send the photo's bytes with Content-Type image/* (JPEG, PNG, HEIC, WebP or GIF)");
        const declared = Number(request.headers['content-length']);
        return cloud.putPhoto(accountId, itemId, request.body as Readable, Number.isFinite(declared) ? declared : undefined, precondition);
      }
      if (isStream) throw new AppError('unsupported_media_type', `Items of ${collection} are JSON: send them as application/json`);
      return cloud.putJson(accountId, collection, itemId, request.body, precondition);
    });

    scope.get('/v1/cloud/:collection/:itemId', {
      schema: {
        tags: ['cloud'],
        summary: 'One item; for photos, the original bytes with their content type',
        security,
        produces: ['application/json', 'image/*'],
        params: ItemParams,
        response: { 200: { ...ItemSchema, description: 'The JSON item, or for photos the image bytes' } },
      },
      preHandler: guards.accountOrDevice,
    }, async (request, reply) => {
      const { accountId } = authOf(request);
      const { collection, itemId } = request.params;
      if (collection === 'photos') {
        const photo = await cloud.openPhoto(accountId, itemId);
        reply.header('etag', `"${photo.version}"`);
        return sendPhotoStream(reply, photo.stream, photo.contentType, photo.size);
      }
      const item = await cloud.getJson(accountId, collection as JsonCollection, itemId);
      reply.header('etag', `"${item.version}"`);
      return item;
    });

    scope.get('/v1/cloud/:collection/:itemId/thumbnail', {
      schema: {
        tags: ['cloud'],
        summary: "A photo's thumbnail (WebP, at most 320 px a side); 404 when it has none (not made yet, or HEIC)",
        security,
        produces: ['image/webp'],
        params: PhotoParams,
        response: { 200: { ...Binary, description: 'The thumbnail, image/webp' } },
      },
      preHandler: guards.accountOrDevice,
    }, async (request, reply) => {
      const stream = await cloud.openThumbnail(authOf(request).accountId, request.params.itemId);
      return sendPhotoStream(reply, stream, 'image/webp');
    });

    scope.delete('/v1/cloud/:collection/:itemId', {
      schema: {
        tags: ['cloud'],
        summary: 'Delete an item; delta sync reports it in "deleted"',
        security,
        params: ItemParams,
        headers: PreconditionHeaders,
        response: { 204: NoContent },
      },
      preHandler: guards.accountOrDevice,
    }, async (request, reply) => {
      await cloud.delete(authOf(request).accountId, request.params.collection, request.params.itemId, preconditionOf(request));
      return reply.code(204).send(null);
    });
  });
}
