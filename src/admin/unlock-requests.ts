import type { FastifyReply } from 'fastify';
import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { absentBodyIsEmpty } from '../unlock/routes.js';
import {
  DecisionBody,
  ProofParams,
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

  app.get(
    '/unlock-requests/:id',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getUnlockRequest',
        summary: 'One unlock request, with its proof, the lock, and any first approval (staff; audited)',
        params: RequestParams,
        response: { 200: StaffViewSchema },
      },
      preHandler: guards.support,
    },
    async (request) => unlock.getForStaff(authOf(request), request.params.id),
  );

  app.get(
    '/unlock-requests/:id/proofs/:proofId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getUnlockRequestProof',
        summary:
          "A proof file's bytes, to view inline (an image, or a PDF in a sandboxed frame); sandboxed by its CSP (staff; audited)",
        produces: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'],
        params: ProofParams,
        response: { 200: { type: 'string', format: 'binary', description: 'The file, as uploaded' } },
      },
      preHandler: guards.support,
    },
    async (request, reply) => {
      const { bytes, contentType } = await unlock.openProof(authOf(request), request.params.id, request.params.proofId);
      // The requester's bytes, never a document of our origin: a CSP sandbox (no scripts, no same
      // origin), no type sniffing, shown inline only in our own console's frames, and no cache.
      reply.header('content-type', contentType);
      reply.header('content-disposition', 'inline');
      reply.header('content-security-policy', "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'self'");
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'SAMEORIGIN');
      reply.header('cache-control', 'private, no-store');
      return (reply as FastifyReply).send(bytes);
    },
  );

  app.post(
    '/unlock-requests/:id/approve',
    {
      schema: {
        tags: ['admin'],
        operationId: 'approveUnlockRequest',
        summary:
          'Approve a submitted request: the owner is told, and the lock is released after the waiting period unless they object (staff). A device in lost mode takes two different staff members: the first approval is recorded and awaits a second (unlock_request.same_approver when the same one tries again)',
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
