import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { lacksOnlyCaptcha } from '../captcha/routes.js';
import { authOf, type Guards } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { originOf } from '../http/origin.js';
import type { HttpServer } from '../http/server.js';
import { localeFromHeader } from '../messaging/templates.js';
import {
  NoFields,
  OwnerUnlockRequestListSchema,
  ProofFilesSchema,
  ProofUploadBody,
  ProofUploadHeaders,
  RequestParams,
  RequestViewSchema,
  StatusTokenQuery,
  UnlockRequestBody,
  UnlockRequestCreatedSchema,
} from './schemas.js';
import { MAX_PROOF_BYTES } from './proofs.js';
import type { UnlockRequestService } from './service.js';

/** Unlock requests: anyone asks (behind a captcha), staff decide, the owner may object, a job releases. */
export function registerUnlockRoutes(app: HttpServer, deps: { unlock: UnlockRequestService; guards: Guards }) {
  const { unlock, guards } = deps;

  app.post(
    '/v1/unlock-requests',
    {
      schema: {
        tags: ['unlock requests'],
        operationId: 'createUnlockRequest',
        summary:
          'Ask for the lock of a device to be released, with proof. The same answer whether or not the device is locked',
        body: UnlockRequestBody,
        response: { 202: UnlockRequestCreatedSchema },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError && !lacksOnlyCaptcha(request.validationError)) throw request.validationError;
      const { captcha, locale, ...input } = request.body;
      const taken = await unlock.submit(
        { ...input, captcha: request.validationError ? undefined : captcha },
        locale ?? localeFromHeader(request.headers['accept-language']),
        originOf(request),
      );
      return reply.code(202).send(taken);
    },
  );

  app.get(
    '/v1/unlock-requests/:id',
    {
      schema: {
        tags: ['unlock requests'],
        operationId: 'getUnlockRequestStatus',
        summary: "An unlock request's status, for the holder of its status token",
        params: RequestParams,
        querystring: StatusTokenQuery,
        response: { 200: RequestViewSchema },
      },
    },
    async (request) => unlock.status(request.params.id, request.query.token),
  );

  // Encapsulated, so that only this route takes raw bytes: a proof file of at most 10 MiB, read whole
  // (Fastify refuses a larger one with 413 as it arrives). What it is gets decided by its bytes.
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const options = { parseAs: 'buffer', bodyLimit: MAX_PROOF_BYTES } as const;
    const bytes = (_request: FastifyRequest, body: Buffer, done: (error: Error | null, body?: unknown) => void) =>
      done(null, body);
    scope.addContentTypeParser(['application/octet-stream', 'application/pdf'], options, bytes);
    scope.addContentTypeParser(/^image\/[a-z0-9.+-]+$/i, options, bytes);
    scope.post(
      '/v1/unlock-requests/:id/proofs',
      {
        schema: {
          tags: ['unlock requests'],
          operationId: 'addUnlockRequestProof',
          summary:
            'Add a proof file (JPEG, PNG or WebP image, or PDF; at most 10 MiB, 5 a request) while the request waits for staff. The status token goes in X-Status-Token, never in the address',
          consumes: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'],
          params: RequestParams,
          headers: ProofUploadHeaders,
          body: ProofUploadBody,
          response: { 201: ProofFilesSchema },
        },
      },
      async (request, reply) => {
        if (!Buffer.isBuffer(request.body))
          throw new AppError(
            'unsupported_media_type',
            "Send the file's bytes with Content-Type image/jpeg, image/png, image/webp or application/pdf",
          );
        const token = request.headers['x-status-token'] as string;
        return reply.code(201).send(await unlock.addProof(request.params.id, token, request.body));
      },
    );
  });

  app.post(
    '/v1/unlock-requests/:id/object',
    {
      schema: {
        tags: ['unlock requests'],
        operationId: 'objectToUnlockRequest',
        summary:
          'The owner of the locked device objects: the request ends and the device stays locked (account session)',
        params: RequestParams,
        body: NoFields,
        response: { 200: RequestViewSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.account,
    },
    async (request) => unlock.object(authOf(request), request.params.id),
  );

  app.get(
    '/v1/me/unlock-requests',
    {
      schema: {
        tags: ['unlock requests'],
        operationId: 'listMyUnlockRequests',
        summary: 'The open unlock requests against the devices locked to this account, which the owner may object to',
        response: { 200: OwnerUnlockRequestListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => ({ requests: await unlock.listForOwner(authOf(request).accountId) }),
  );
}

/** A decision or objection carries no fields: the body may also be left out. */
export const absentBodyIsEmpty = async (request: FastifyRequest) => {
  request.body ??= {};
};
