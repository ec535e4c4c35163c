import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { authOf, type Guards, type ScopesByParam } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import { attachment } from '../http/headers.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { BATCH_BODY_BYTES, type CloudBatchService } from './batch.js';
import {
  BatchBody,
  BatchParams,
  BatchResultSchema,
  Binary,
  ChangesQuery,
  ChangesSchema,
  CollectionParams,
  ItemBody,
  ItemParams,
  ItemSchema,
  ItemWrittenSchema,
  PhotoParams,
  PreconditionHeaders,
  SummarySchema,
} from './schemas.js';
import { DEFAULT_PAGE, MAX_PAGE, type CloudService, type JsonCollection, type Precondition } from './service.js';

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

/** The name a downloaded photo is saved under: its id, with the extension of what its bytes are. */
function photoFileName(itemId: string, contentType: string): string {
  const extension = `.${contentType
    .split('/')[1]!
    .replace('jpeg', 'jpg')
    .replace(/[^a-z0-9]/g, '')}`;
  return itemId.toLowerCase().endsWith(extension) ? itemId : `${itemId}${extension}`;
}

function sendPhotoStream(
  reply: FastifyReply,
  stream: Readable,
  contentType: string,
  size: number | undefined,
  fileName: string,
) {
  reply.header('content-type', contentType);
  // An attachment, never a document of our origin, whatever a browser makes of the bytes; <img> still shows it.
  reply.header('content-disposition', attachment(fileName));
  if (size !== undefined) reply.header('content-length', String(size));
  // User content: the browser must take it for what we say it is, and keep it out of shared caches.
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'private, no-cache');
  return reply.send(stream);
}

/** What an app's access token may read of the cloud (API.md): its collection's reads, nothing else. */
const READ_SCOPES: ScopesByParam = {
  param: 'collection',
  of: { photos: ['cloud.photos:read'], contacts: ['cloud.contacts:read'] },
};

/** Cloud sync: items of five collections, delta pages, photos and their thumbnails, usage. */
export function registerCloudRoutes(
  app: HttpServer,
  deps: { cloud: CloudService; batch: CloudBatchService; guards: Guards },
) {
  const { cloud, batch, guards } = deps;

  // Encapsulated, so that only cloud routes take raw bodies: a photo arrives as a stream and is never
  // buffered whole. What it is gets decided by its bytes, not by this header.
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const passThrough = (
      _request: FastifyRequest,
      payload: NodeJS.ReadableStream,
      done: (error: Error | null, body?: unknown) => void,
    ) => done(null, payload);
    scope.addContentTypeParser('application/octet-stream', passThrough);
    scope.addContentTypeParser(/^image\/[a-z0-9.+-]+$/i, passThrough);

    scope.get(
      '/v1/cloud',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'getCloudSummary',
          summary: 'Counts and bytes per collection, and the quota',
          response: { 200: SummarySchema },
        },
        preHandler: guards.accountOrDevice,
      },
      async (request) => cloud.summary(authOf(request).accountId),
    );

    scope.get(
      '/v1/cloud/:collection',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'listChanges',
          summary: 'Delta sync: what changed and what was deleted since the cursor, a page at a time',
          params: CollectionParams,
          querystring: ChangesQuery,
          response: { 200: ChangesSchema },
        },
        config: { scopes: READ_SCOPES },
        preHandler: guards.accountOrDevice,
      },
      async (request) => {
        const limit = request.query.limit === undefined ? DEFAULT_PAGE : Number(request.query.limit);
        if (limit < 1 || limit > MAX_PAGE) throw invalidField('querystring.limit', `must be from 1 to ${MAX_PAGE}`);
        return cloud.listChanges(
          authOf(request).accountId,
          request.params.collection,
          request.query.since,
          limit,
          request.query.order,
        );
      },
    );

    scope.put(
      '/v1/cloud/:collection/:itemId',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'putItem',
          summary:
            'Create or replace an item: JSON (at most 64 KiB), or for photos the image bytes (Content-Type image/*)',
          description:
            'Without If-Match the item is created or overwritten. With If-Match: <version> it is written only if that is still the current version (409 conflict otherwise, with currentVersion).',
          consumes: ['application/json', 'image/jpeg', 'image/png', 'image/heic', 'image/webp', 'image/gif'],
          params: ItemParams,
          headers: PreconditionHeaders,
          body: ItemBody,
          response: { 200: ItemWrittenSchema },
        },
        preHandler: guards.accountOrDevice,
      },
      async (request) => {
        const { accountId } = authOf(request);
        const { collection, itemId } = request.params;
        const precondition = preconditionOf(request);
        const isStream = request.body instanceof Readable;
        if (collection === 'photos') {
          if (!isStream)
            throw new AppError(
              'unsupported_media_type',
              "Send the photo's bytes with Content-Type image/* (JPEG, PNG, HEIC, WebP or GIF)",
            );
          const declared = Number(request.headers['content-length']);
          return cloud.putPhoto(
            accountId,
            itemId,
            request.body as Readable,
            Number.isFinite(declared) ? declared : undefined,
            precondition,
          );
        }
        if (isStream)
          throw new AppError(
            'unsupported_media_type',
            `Items of ${collection} are JSON: send them as application/json`,
          );
        return cloud.putJson(accountId, collection, itemId, request.body, precondition);
      },
    );

    scope.get(
      '/v1/cloud/:collection/:itemId',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'getItem',
          summary: 'One item; for photos, the original bytes with their content type',
          produces: ['application/json', 'image/*'],
          params: ItemParams,
          response: { 200: { ...ItemSchema, description: 'The JSON item, or for photos the image bytes' } },
        },
        config: { scopes: READ_SCOPES, problems: [422] },
        preHandler: guards.accountOrDevice,
      },
      async (request, reply) => {
        const { accountId } = authOf(request);
        const { collection, itemId } = request.params;
        if (collection === 'photos') {
          const photo = await cloud.openPhoto(accountId, itemId);
          reply.header('etag', `"${photo.version}"`);
          return sendPhotoStream(
            reply,
            photo.stream,
            photo.contentType,
            photo.size,
            photoFileName(itemId, photo.contentType),
          );
        }
        const item = await cloud.getJson(accountId, collection as JsonCollection, itemId);
        reply.header('etag', `"${item.version}"`);
        return item;
      },
    );

    scope.get(
      '/v1/cloud/:collection/:itemId/thumbnail',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'getThumbnail',
          summary: "A photo's thumbnail (WebP, at most 320 px a side); 404 when it has none (not made yet, or HEIC)",
          produces: ['image/webp'],
          params: PhotoParams,
          response: { 200: { ...Binary, description: 'The thumbnail, image/webp' } },
        },
        config: { scopes: READ_SCOPES },
        preHandler: guards.accountOrDevice,
      },
      async (request, reply) => {
        const stream = await cloud.openThumbnail(authOf(request).accountId, request.params.itemId);
        return sendPhotoStream(reply, stream, 'image/webp', undefined, `${request.params.itemId}-thumbnail.webp`);
      },
    );

    scope.post(
      '/v1/cloud/:collection/batch',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'syncBatch',
          summary:
            'Batch sync: up to 1,000 puts and deletes of JSON items in one transaction, each with its own result',
          description:
            'The body is at most 8 MiB. Each operation gets a result in order: 200 written (with its version), 204 deleted, 409 conflict (ifMatch no longer the current version), 400 invalid. A batch that would pass the quota is refused whole (413 quota_exceeded).',
          params: BatchParams,
          body: BatchBody,
          response: { 200: BatchResultSchema },
        },
        bodyLimit: BATCH_BODY_BYTES,
        preHandler: guards.accountOrDevice,
      },
      async (request) =>
        batch.apply(authOf(request).accountId, request.params.collection, request.body.ops, request.body.since),
    );

    scope.delete(
      '/v1/cloud/:collection/:itemId',
      {
        schema: {
          tags: ['cloud'],
          operationId: 'deleteItem',
          summary: 'Delete an item; delta sync reports it in "deleted"',
          params: ItemParams,
          headers: PreconditionHeaders,
          response: { 204: NoContent },
        },
        preHandler: guards.accountOrDevice,
      },
      async (request, reply) => {
        await cloud.delete(
          authOf(request).accountId,
          request.params.collection,
          request.params.itemId,
          preconditionOf(request),
        );
        return reply.code(204).send(null);
      },
    );
  });
}
