import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import {
  AccountIdParams,
  AdjustCreditsBody,
  CreditsQuery,
  CreditsSchema,
  PostedCreditSchema,
  SpendCreditsBody,
} from './schemas.js';
import type { CreditService, PostedCredit } from './service.js';

/** A retried request gets the first answer again, marked, with the same status. */
const answer = (posted: PostedCredit) => ({ entry: posted.entry, balance: posted.balance });

/** The person's wallet, staff grants (admin) and the spend API for a maker's services (credits:spend). */
export function registerCreditRoutes(app: HttpServer, deps: { credits: CreditService; guards: Guards }) {
  const { credits, guards } = deps;

  app.get(
    '/v1/me/credits',
    {
      schema: {
        tags: ['credits'],
        operationId: 'getCredits',
        summary: 'The credit balance and its history, newest first, paged with a cursor',
        querystring: CreditsQuery,
        response: { 200: CreditsSchema },
      },
      preHandler: guards.account,
    },
    async (request) => credits.history(authOf(request).accountId, request.query.cursor),
  );

  app.post(
    '/v1/credits/spend',
    {
      config: { scopes: ['credits:spend'] },
      schema: {
        tags: ['credits'],
        operationId: 'spendCredits',
        summary:
          "Spend the person's credits (an app's access token with credits:spend); 409 credits.insufficient when the balance is too low",
        body: SpendCreditsBody,
        response: { 201: PostedCreditSchema },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      const posted = await credits.spend(authOf(request), request.body);
      if (posted.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(answer(posted));
    },
  );

  app.register(async (scope) => registerCreditAdminRoutes(scope, deps), { prefix: '/v1/admin' });
}

/** Staff (admin): grants, refunds and corrections, under /v1/admin (the ledger itself: src/admin/credits.ts). */
function registerCreditAdminRoutes(app: HttpServer, deps: { credits: CreditService; guards: Guards }) {
  const { credits, guards } = deps;
  app.post(
    '/accounts/:id/credits',
    {
      schema: {
        tags: ['admin'],
        operationId: 'adjustCredits',
        summary: "Grant, refund or take back an account's credits with a reason (admin); audited",
        params: AccountIdParams,
        body: AdjustCreditsBody,
        response: { 201: PostedCreditSchema },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => {
      const posted = await credits.adjust(authOf(request), request.params.id, request.body);
      if (posted.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(201).send(answer(posted));
    },
  );
}
