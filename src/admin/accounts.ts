import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { absentBodyIsEmpty } from '../unlock/routes.js';
import {
  AccountMatchListSchema,
  AccountParams,
  AccountSearchQuery,
  ReasonBody,
  ReasonQuery,
  RestoredSchema,
  RevealedAddressesSchema,
  SessionsEndedSchema,
  StaffAccountViewSchema,
  SuspendedSchema,
} from './schemas.js';
import type { StaffService } from './service.js';

/**
 * Staff: people's accounts (support and above). Every look needs a reason, is audited, and shows in the
 * person's own activity (GET /v1/me/events) as staff_access.
 */
export function registerAccountAdminRoutes(app: HttpServer, deps: { staff: StaffService; guards: Guards }) {
  const { staff, guards } = deps;

  app.get(
    '/accounts',
    {
      schema: {
        tags: ['admin'],
        operationId: 'searchAccounts',
        summary:
          "Find accounts by email, phone, id, or a device's serial or IMEI, with a reason (support; audited and shown to each person found)",
        querystring: AccountSearchQuery,
        response: { 200: AccountMatchListSchema },
      },
      preHandler: guards.support,
    },
    async (request) => ({ accounts: await staff.search(authOf(request), request.query.q, request.query.reason) }),
  );

  app.get(
    '/accounts/:id',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getAccountForStaff',
        summary:
          'An account as staff see it: masked profile, devices and locks, sessions, recent events, credits, deletion state, unlock requests (support; audited and shown to the person)',
        params: AccountParams,
        querystring: ReasonQuery,
        response: { 200: StaffAccountViewSchema },
      },
      preHandler: guards.support,
    },
    async (request) => staff.view(authOf(request), request.params.id, request.query.reason),
  );

  app.post(
    '/accounts/:id/reveal',
    {
      schema: {
        tags: ['admin'],
        operationId: 'revealAccountAddresses',
        summary: "The account's email and phone unmasked (support; audited and shown to the person)",
        params: AccountParams,
        body: ReasonBody,
        response: { 200: RevealedAddressesSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.support,
    },
    async (request) => staff.reveal(authOf(request), request.params.id, request.body.reason),
  );

  app.post(
    '/accounts/:id/suspend',
    {
      schema: {
        tags: ['admin'],
        operationId: 'suspendAccount',
        summary:
          'Suspend an account: sign-in refused (account.suspended), sessions and app tokens end, devices stay locked, the person is told (support; audited)',
        params: AccountParams,
        body: ReasonBody,
        response: { 200: SuspendedSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.support,
    },
    async (request) => staff.suspend(authOf(request), request.params.id, request.body.reason),
  );

  app.post(
    '/accounts/:id/restore',
    {
      schema: {
        tags: ['admin'],
        operationId: 'restoreAccount',
        summary: 'Lift a suspension: the person may sign in again and is told (support; audited)',
        params: AccountParams,
        body: ReasonBody,
        response: { 200: RestoredSchema },
      },
      preValidation: absentBodyIsEmpty,
      preHandler: guards.support,
    },
    async (request) => staff.restore(authOf(request), request.params.id, request.body.reason),
  );

  app.delete(
    '/accounts/:id/sessions',
    {
      schema: {
        tags: ['admin'],
        operationId: 'endAccountSessions',
        summary:
          'End every web and API session and app token of an account; device tokens stay (support; audited, and shown to the person)',
        params: AccountParams,
        querystring: ReasonQuery,
        response: { 200: SessionsEndedSchema },
      },
      preHandler: guards.support,
    },
    async (request) => staff.endSessions(authOf(request), request.params.id, request.query.reason),
  );
}
