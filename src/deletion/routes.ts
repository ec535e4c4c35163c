import { authOf, type Guards } from '../http/auth.js';
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

  app.get('/v1/me/deletion', {
    schema: { tags: ['deletion'], operationId: 'getDeletionSummary', summary: 'Everything a deletion of the account would erase, counted', response: { 200: SummarySchema } },
    preHandler: guards.session,
  }, async (request) => deletion.summary(authOf(request)));

  app.post('/v1/me/deletion', {
    schema: {
      tags: ['deletion'],
      operationId: 'requestDeletion',
      summary: 'Ask to delete the account (fresh session): sends a code valid 60 seconds by the chosen channel',
      body: DeletionRequestBody,
      response: { 202: DeletionRequestedSchema },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => reply.code(202).send(await deletion.request(authOf(request), request.body, originOf(request))));

  app.post('/v1/me/deletion/:id/confirm', {
    schema: {
      tags: ['deletion'],
      operationId: 'confirmDeletion',
      summary: 'Confirm the deletion with the code: the account is gone at once, its data erased; 409 devices_still_linked while devices are linked and neither flag is set',
      params: DeletionParams,
      body: ConfirmDeletionBody,
      response: { 200: DeletionConfirmedSchema },
    },
    preHandler: guards.session,
  }, async (request) => deletion.confirm(authOf(request), request.params.id, request.body));

  app.get('/v1/deletion/cancel', {
    schema: {
      tags: ['deletion'],
      operationId: 'getDeletionCancelPage',
      summary: 'The page the cancel link of a scheduled deletion opens: a button that keeps the account',
      produces: ['text/html'],
      querystring: CancelPageQuery,
      response: { 200: HtmlPage },
    },
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(cancelPage(request.query.token ?? '')));

  app.post('/v1/deletion/cancel', {
    schema: {
      tags: ['deletion'],
      operationId: 'cancelDeletion',
      summary: 'Cancel a scheduled deletion with the token of its link (single use): the account is restored; sign in again',
      body: CancelBody,
      response: { 200: DeletionCancelledSchema },
    },
  }, async (request) => deletion.cancel(request.body.token));
}

// A page rather than an action on GET: mail scanners open links, and must not undo what the owner asked.
function cancelPage(token: string): string {
  const safe = /^[A-Za-z0-9_-]{0,128}$/.test(token) ? token : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Keep your Lanyard account</title></head>
<body>
<h1>Keep your Lanyard account</h1>
<p>Your account is scheduled for deletion. Press the button to cancel the deletion and keep your account and its data.</p>
<button id="keep" type="button">Keep my account</button>
<p id="result" role="status"></p>
<script>
document.getElementById('keep').addEventListener('click', async () => {
  const response = await fetch('/v1/deletion/cancel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ${JSON.stringify(safe)} }) });
  document.getElementById('result').textContent = response.ok ? 'Your account is kept. Sign in again to use it.' : 'This link was already used, or the account was already erased.';
});
</script>
</body></html>
`;
}
