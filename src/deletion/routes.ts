import { Type } from 'typebox';
import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import { ChannelSchema, CodeSchema, IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { CONFIRMATION_SENTENCE, type DeletionService } from './service.js';

const CountSchema = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });
const DeviceAtStakeSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  model: Type.String(),
  kind: Type.String(),
  serialHint: Type.String(),
  locked: Type.Boolean({ description: 'Locked to this account (activation lock)' }),
  signedIn: Type.Boolean({ description: 'Its device token is still valid' }),
  lastSeenAt: TimeSchema,
});
const SummarySchema = Type.Object({
  collections: Type.Object({ contacts: CountSchema, notes: CountSchema, messages: CountSchema, 'app-data': CountSchema, photos: CountSchema }),
  photos: CountSchema,
  totalBytes: Type.Integer(),
  devices: Type.Array(DeviceAtStakeSchema),
  apps: Type.Array(Type.Object({ clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()) }), { description: 'Apps with access to the account' }),
  creditBalance: Type.Number(),
  channels: Type.Array(ChannelSchema, { description: 'Channels the deletion code can be sent by' }),
  graceDays: Type.Integer({ description: 'Days between the confirmation and the erasure, during which it can be cancelled; 0: at once' }),
  export: Type.Object({ method: Type.Literal('POST'), path: Type.String(), description: Type.String() }, { description: 'Download your data first' }),
});
const CancelBody = Strict({ token: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) });
const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

/** Account deletion: what will be lost, the request with its code, the confirmation, and the grace period's cancel link. */
export function registerDeletionRoutes(app: HttpServer, deps: { deletion: DeletionService; guards: Guards }) {
  const { deletion, guards } = deps;

  app.get('/v1/me/deletion', {
    schema: { tags: ['deletion'], summary: 'Everything a deletion of the account would erase, counted', security, response: { 200: SummarySchema } },
    preHandler: guards.account,
  }, async (request) => deletion.summary(authOf(request)));

  app.post('/v1/me/deletion', {
    schema: {
      tags: ['deletion'],
      summary: 'Ask to delete the account (fresh session): sends a code valid 60 seconds by the chosen channel',
      security,
      body: Strict({
        confirm: Type.String({ maxLength: 200, description: `Exactly "${CONFIRMATION_SENTENCE}"` }),
        channel: ChannelSchema,
      }),
      response: {
        202: Type.Object({
          id: Type.String({ description: 'The deletion request, to confirm with the code' }),
          channel: ChannelSchema,
          expiresAt: TimeSchema,
          sentTo: Type.String({ description: 'The masked address the code went to' }),
          devices: Type.Array(DeviceAtStakeSchema),
        }),
      },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => reply.code(202).send(await deletion.request(authOf(request), request.body, originOf(request))));

  app.post('/v1/me/deletion/:id/confirm', {
    schema: {
      tags: ['deletion'],
      summary: 'Confirm the deletion with the code: the account is gone at once, its data erased; 409 devices_still_linked while devices are linked and neither flag is set',
      security,
      params: Strict({ id: IdSchema }),
      body: Strict({
        code: CodeSchema,
        releaseDevices: Type.Optional(Type.Boolean({ description: 'Release the locks of the linked devices with the deletion' })),
        acknowledgeLockedDevices: Type.Optional(Type.Boolean({ description: 'Leave the linked devices locked; only an unlock request can release them then' })),
      }),
      response: {
        200: Type.Object({
          status: Type.Union([Type.Literal('deleted'), Type.Literal('scheduled')], { description: 'scheduled: a grace period is configured; erased at eraseAt unless cancelled' }),
          deletedAt: TimeSchema,
          eraseAt: Type.Optional(TimeSchema),
          keptLocks: Type.Integer({ description: 'Devices that stay locked' }),
        }),
      },
    },
    preHandler: guards.fresh,
  }, async (request) => deletion.confirm(authOf(request), request.params.id, request.body));

  app.get('/v1/deletion/cancel', {
    schema: {
      tags: ['deletion'],
      summary: 'The page the cancel link of a scheduled deletion opens: a button that keeps the account',
      produces: ['text/html'],
      querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 128 })) }),
      response: { 200: Type.String({ description: 'HTML' }) },
    },
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(cancelPage(request.query.token ?? '')));

  app.post('/v1/deletion/cancel', {
    schema: {
      tags: ['deletion'],
      summary: 'Cancel a scheduled deletion with the token of its link (single use): the account is restored; sign in again',
      body: CancelBody,
      response: { 200: Type.Object({ status: Type.Literal('active') }) },
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
