import type { FastifyRequest } from 'fastify';
import { lacksOnlyCaptcha } from '../captcha/routes.js';
import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import type { HttpServer } from '../http/server.js';
import { localeFromHeader } from '../messaging/templates.js';
import {
  NoFields,
  OwnerUnlockRequestListSchema,
  RequestParams,
  RequestViewSchema,
  StatusTokenQuery,
  UnlockRequestBody,
  UnlockRequestCreatedSchema,
} from './schemas.js';
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
