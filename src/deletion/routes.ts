import { authOf, type Guards } from '../http/auth.js';
import { cspHash } from '../http/headers.js';
import { originOf } from '../http/origin.js';
import type { HttpServer } from '../http/server.js';
import {
  CancelBody,
  CancelPageQuery,
  ConfirmDeletionBody,
  DeletionCancelledSchema,
  DeletionConfirmedSchema,
  DeletionParams,
  DeletionRequestBody,
  DeletionRequestedSchema,
  HtmlPage,
  SummarySchema,
} from './schemas.js';
import type { DeletionService } from './service.js';

/** Account deletion: what will be lost, the request with its code, the confirmation, and the grace period's cancel link. */
export function registerDeletionRoutes(app: HttpServer, deps: { deletion: DeletionService; guards: Guards }) {
  const { deletion, guards } = deps;

  app.get(
    '/v1/me/deletion',
    {
      schema: {
        tags: ['deletion'],
        operationId: 'getDeletionSummary',
        summary: 'Everything a deletion of the account would erase, counted',
        response: { 200: SummarySchema },
      },
      preHandler: guards.account,
    },
    async (request) => deletion.summary(authOf(request)),
  );

  app.post(
    '/v1/me/deletion',
    {
      schema: {
        tags: ['deletion'],
        operationId: 'requestDeletion',
        summary: 'Ask to delete the account (fresh session): sends a code valid 60 seconds by the chosen channel',
        body: DeletionRequestBody,
        response: { 202: DeletionRequestedSchema },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) =>
      reply.code(202).send(await deletion.request(authOf(request), request.body, originOf(request))),
  );

  app.post(
    '/v1/me/deletion/:id/confirm',
    {
      schema: {
        tags: ['deletion'],
        operationId: 'confirmDeletion',
        summary:
          'Confirm the deletion with the code: the account is gone at once, its data erased; 409 devices_still_linked while devices are linked and neither flag is set',
        params: DeletionParams,
        body: ConfirmDeletionBody,
        response: { 200: DeletionConfirmedSchema },
      },
      preHandler: guards.fresh,
    },
    async (request) => deletion.confirm(authOf(request), request.params.id, request.body),
  );

  app.get(
    '/v1/deletion/cancel',
    {
      schema: {
        tags: ['deletion'],
        operationId: 'getDeletionCancelPage',
        summary: 'The page the cancel link of a scheduled deletion opens: a button that keeps the account',
        produces: ['text/html'],
        querystring: CancelPageQuery,
        response: { 200: HtmlPage },
      },
    },
    async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('content-security-policy', CANCEL_CSP).send(cancelPage()),
  );

  app.post(
    '/v1/deletion/cancel',
    {
      schema: {
        tags: ['deletion'],
        operationId: 'cancelDeletion',
        summary:
          'Cancel a scheduled deletion with the token of its link (single use): the account is restored; sign in again',
        body: CancelBody,
        response: { 200: DeletionCancelledSchema },
      },
      // A token that is unknown, used or past its deletion: 404 not_found, alike.
      config: { problems: [404] },
    },
    async (request) => deletion.cancel(request.body.token),
  );
}

// A page rather than an action on GET: mail scanners open links, and must not undo what the owner asked.
// The page's script reads the token from its own address, so that it is the same text on every page and
// the CSP allows it by hash; no inline script of any other text runs.
const CANCEL_SCRIPT = `
document.getElementById('keep').addEventListener('click', async () => {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const response = await fetch('/v1/deletion/cancel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  document.getElementById('result').textContent = response.ok ? 'Your account is kept. Sign in again to use it.' : 'This link was already used, or the account was already erased.';
});
`;
const CANCEL_CSP = `default-src 'none'; script-src '${cspHash(CANCEL_SCRIPT)}'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'`;

function cancelPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Keep your Lanyard account</title></head>
<body>
<h1>Keep your Lanyard account</h1>
<p>Your account is scheduled for deletion. Press the button to cancel the deletion and keep your account and its data.</p>
<button id="keep" type="button">Keep my account</button>
<p id="result" role="status"></p>
<script>${CANCEL_SCRIPT}</script>
</body></html>
`;
}
