import { Type } from 'typebox';
import { authOf, type Guards } from '../http/auth.js';
import { Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { absentBodyIsEmpty, NoFields, RequestParams, security, StaffViewSchema, StatusSchema } from '../unlock/routes.js';
import type { UnlockRequestService } from '../unlock/service.js';

/** Staff: unlock requests with their proof, and the decisions on them (support and above; audited). */
export function registerUnlockRequestAdminRoutes(app: HttpServer, deps: { unlock: UnlockRequestService; guards: Guards }) {
  const { unlock, guards } = deps;

  app.get('/unlock-requests', {
    schema: {
      tags: ['admin'],
      summary: 'Unlock requests, newest first, with their proof and whether the device is locked (staff; audited)',
      security,
      querystring: Strict({ status: Type.Optional(StatusSchema) }),
      response: { 200: Type.Object({ unlockRequests: Type.Array(StaffViewSchema) }) },
    },
    preHandler: guards.support,
  }, async (request) => ({ unlockRequests: await unlock.list(authOf(request), request.query.status) }));

  app.post('/unlock-requests/:id/approve', {
    schema: {
      tags: ['admin'],
      summary: 'Approve a submitted request: the owner is told, and the lock is released after the waiting period unless they object (staff)',
      security,
      params: RequestParams,
      body: NoFields,
      response: { 200: StaffViewSchema },
    },
    preValidation: absentBodyIsEmpty,
    preHandler: guards.support,
  }, async (request) => unlock.approve(authOf(request), request.params.id));

  app.post('/unlock-requests/:id/reject', {
    schema: {
      tags: ['admin'],
      summary: 'Reject a submitted request, or stop one that is waiting; the requester is told (staff)',
      security,
      params: RequestParams,
      body: NoFields,
      response: { 200: StaffViewSchema },
    },
    preValidation: absentBodyIsEmpty,
    preHandler: guards.support,
  }, async (request) => unlock.reject(authOf(request), request.params.id));
}
