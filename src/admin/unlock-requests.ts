import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { absentBodyIsEmpty } from '../unlock/routes.js';
import {
  DecisionBody,
  RequestParams,
  StaffListQuery,
  StaffViewSchema,
  UnlockRequestListSchema,
} from '../unlock/schemas.js';
import type { UnlockRequestService } from '../unlock/service.js';

/** Staff: unlock requests with their proof, and the decisions on them (support and above; audited). */
export function registerUnlockRequestAdminRoutes(
  app: HttpServer,
  deps: { unlock: UnlockRequestService; guards: Guards },
) {
  const { unlock, guards } = deps;

  app.get(
    '/unlock-requests',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listUnlockRequests',
        summary: 'Unlock requests, newest first, with their proof and whether the device is locked (staff; audited)',
        querystring: StaffListQuery,
        response: { 200: UnlockRequestListSchema },
      },
      preHandler: guards.support,
    },
    async (request) => ({ unlockRequests: await unlock.list(authOf(request), request.query.status) }),
  );

  app.post(
    '/unlock-requests/:id/approve',
    {
      schema: {
        tags: ['admin'],
        operationId: 'approveUnlockRequest',
        summary:
          'Approve a submitted request: the owner is told, and the lock is released after the waiting period unless they object (staff)',
        params: RequestParams,
        body: DecisionBody,
        response: { 200: StaffViewSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.support,
    },
    async (request) => unlock.approve(authOf(request), request.params.id, request.body.note),
  );

  app.post(
    '/unlock-requests/:id/reject',
    {
      schema: {
        tags: ['admin'],
        operationId: 'rejectUnlockRequest',
        summary: 'Reject a submitted request, or stop one that is waiting; the requester is told (staff)',
        params: RequestParams,
        body: DecisionBody,
        response: { 200: StaffViewSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.support,
    },
    async (request) => unlock.reject(authOf(request), request.params.id, request.body.note),
  );
}
