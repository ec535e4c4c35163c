import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { LocaleSchema } from '../accounts/schemas.js';
import { CaptchaPayloadSchema, lacksOnlyCaptcha } from '../captcha/routes.js';
import { SerialSchema } from '../devices/schemas.js';
import { authOf, type Guards } from '../http/auth.js';
import { originOf } from '../http/origin.js';
import { EmailSchema, IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { localeFromHeader } from '../messaging/templates.js';
import { PROOF_KINDS, type UnlockRequestService } from './service.js';

// Enums rather than unions of literals: a wrong value then gets one error that names the field.
export const StatusSchema = Type.Enum(['submitted', 'waiting', 'released', 'rejected', 'objected'], {
  description: 'submitted (waiting for staff) → waiting (approved; released at releaseAt unless the owner objects) → released; or rejected / objected',
});
const ProofKindSchema = Type.Enum([...PROOF_KINDS], { description: `The kind of proof: ${PROOF_KINDS.join(', ')}` });
const nullableTime = (description: string) => Type.Union([TimeSchema, Type.Null()], { description });

const RequestViewSchema = Type.Object({
  id: Type.String(),
  status: StatusSchema,
  createdAt: TimeSchema,
  decidedAt: nullableTime('When staff approved or rejected it'),
  releaseAt: nullableTime('Approved: when the lock is released unless the owner objects first'),
  releasedAt: nullableTime('When the lock was released'),
});
export const StaffViewSchema = Type.Object({
  ...RequestViewSchema.properties,
  serialHint: Type.String({ description: 'The last characters of the serial' }),
  contact: Type.Object({ email: Type.String() }),
  proof: Type.Object({ kind: ProofKindSchema, text: Type.Union([Type.String(), Type.Null()]) }),
  lock: Type.Object({
    locked: Type.Boolean({ description: 'Whether a lock is held on the serial (or IMEI) now' }),
    ownerActive: Type.Boolean({ description: 'Whether the lock holder is an active account, which an approval tells' }),
  }),
});
export const RequestParams = Strict({ id: IdSchema });
/** Decisions carry no fields: the body is `{}` or absent, and anything else in it is refused. */
export const NoFields = Strict({}, 'No fields; the body may also be left out');
export const absentBodyIsEmpty = async (request: FastifyRequest) => {
  request.body ??= {};
};
export const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

/** Unlock requests: anyone asks (behind a captcha), staff decide, the owner may object, a job releases. */
export function registerUnlockRoutes(app: HttpServer, deps: { unlock: UnlockRequestService; guards: Guards }) {
  const { unlock, guards } = deps;

  app.post('/v1/unlock-requests', {
    schema: {
      tags: ['unlock requests'],
      summary: 'Ask for the lock of a device to be released, with proof. The same answer whether or not the device is locked',
      body: Strict({
        serial: SerialSchema,
        contact: Strict({ email: EmailSchema }),
        proof: Strict({
          kind: ProofKindSchema,
          text: Type.Optional(Type.String({ maxLength: 2000, description: 'What the proof shows (seller, date, order number); required for kind "other"' })),
        }),
        captcha: CaptchaPayloadSchema,
        locale: Type.Optional(LocaleSchema),
      }),
      response: {
        202: Type.Object({
          id: Type.String(),
          status: Type.Literal('submitted'),
          statusToken: Type.String({ description: 'Shown once: GET /v1/unlock-requests/{id}?token=… tells the status' }),
        }),
      },
    },
    attachValidation: true,
  }, async (request, reply) => {
    if (request.validationError && !lacksOnlyCaptcha(request.validationError)) throw request.validationError;
    const { captcha, locale, ...input } = request.body;
    const taken = await unlock.submit(
      { ...input, captcha: request.validationError ? undefined : captcha },
      locale ?? localeFromHeader(request.headers['accept-language']),
      originOf(request),
    );
    return reply.code(202).send(taken);
  });

  app.get('/v1/unlock-requests/:id', {
    schema: {
      tags: ['unlock requests'],
      summary: "An unlock request's status, for the holder of its status token",
      params: RequestParams,
      querystring: Strict({ token: Type.String({ minLength: 1, maxLength: 128, description: 'The statusToken from POST /v1/unlock-requests' }) }),
      response: { 200: RequestViewSchema },
    },
  }, async (request) => unlock.status(request.params.id, request.query.token));

  app.post('/v1/unlock-requests/:id/object', {
    schema: {
      tags: ['unlock requests'],
      summary: 'The owner of the locked device objects: the request ends and the device stays locked (account session)',
      security,
      params: RequestParams,
      body: NoFields,
      response: { 200: RequestViewSchema },
    },
    preValidation: absentBodyIsEmpty,
    preHandler: guards.account,
  }, async (request) => unlock.object(authOf(request), request.params.id));
  // Staff decide in the /v1/admin scope: src/admin/unlock-requests.ts.
}
