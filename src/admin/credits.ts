import { CreditsSchema, StaffCreditsQuery } from '../credits/schemas.js';
import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { AccountParams } from './schemas.js';
import type { StaffService } from './service.js';

/** Staff: an account's credits ledger (support; grants and refunds are admin's, in src/credits/routes.ts). */
export function registerCreditAdminRoutes(app: HttpServer, deps: { staff: StaffService; guards: Guards }) {
  const { staff, guards } = deps;

  app.get(
    '/accounts/:id/credits',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getAccountCredits',
        summary:
          "An account's credit balance and ledger (grants with their expiry, spends, refunds, expiries), newest first, paged with a cursor; with a reason (support; audited)",
        params: AccountParams,
        querystring: StaffCreditsQuery,
        response: { 200: CreditsSchema },
      },
      preHandler: guards.support,
    },
    async (request) => staff.creditsOf(authOf(request), request.params.id, request.query.cursor, request.query.reason),
  );
}
