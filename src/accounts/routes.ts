import { Type } from 'typebox';
import type { Guards } from '../http/auth.js';
import { authOf } from '../http/auth.js';
import { originOf, sessionKindOf, setSessionCookie } from '../http/origin.js';
import { CodeSchema, EmailSchema, NoContent, PasswordSchema, PhoneSchema, Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { localeFromHeader } from '../messaging/templates.js';
import type { SecurityEventService } from '../events/service.js';
import { addressFields, LocaleSchema, NameSchema, ProfileSchema, SessionIssuedSchema, SessionKindInput } from './schemas.js';
import type { AccountService } from './service.js';

const Accepted = Type.Object({}, { description: 'Accepted: a code is on its way (the same answer whether or not the address is known)' });

/** Sign-up, the profile, address and password changes, security events. */
export function registerAccountRoutes(app: HttpServer, deps: { accounts: AccountService; events: SecurityEventService; guards: Guards; secureCookies: boolean }) {
  const { accounts, events, guards } = deps;

  app.post('/v1/signup', {
    schema: {
      tags: ['accounts'],
      summary: 'Start sign-up: send a 6-digit code to an email or phone',
      body: Strict({ ...addressFields, locale: Type.Optional(LocaleSchema) }),
      response: { 202: Accepted },
    },
  }, async (request, reply) => {
    await accounts.requestSignup(request.body, request.body.locale ?? localeFromHeader(request.headers['accept-language']), originOf(request));
    return reply.code(202).send({});
  });

  app.post('/v1/signup/complete', {
    schema: {
      tags: ['accounts'],
      summary: 'Complete sign-up with the code and a password; creates the account and a session',
      body: Strict({
        ...addressFields,
        code: CodeSchema,
        password: PasswordSchema,
        name: Type.Optional(NameSchema),
        locale: Type.Optional(LocaleSchema),
        kind: Type.Optional(SessionKindInput),
      }),
      response: { 201: SessionIssuedSchema },
    },
  }, async (request, reply) => {
    const kind = sessionKindOf(request, request.body.kind);
    const locale = request.body.locale ?? localeFromHeader(request.headers['accept-language']);
    const { account, session } = await accounts.completeSignup(request.body, kind, locale, originOf(request));
    if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, deps.secureCookies);
    return reply.code(201).send({ account, token: session.token, expiresAt: session.expiresAt });
  });

  app.get('/v1/me', {
    schema: { tags: ['accounts'], summary: 'The profile of the signed-in account', response: { 200: ProfileSchema } },
    preHandler: guards.account,
  }, async (request) => accounts.profileFromStored(authOf(request).account));

  app.patch('/v1/me', {
    schema: {
      tags: ['accounts'],
      summary: 'Change the name',
      body: Strict({ name: Type.Union([NameSchema, Type.Null()]) }),
      response: { 200: ProfileSchema },
    },
    preHandler: guards.account,
  }, async (request) => accounts.updateProfile(authOf(request).accountId, request.body, originOf(request)));

  for (const field of ['email', 'phone'] as const) {
    const addressSchema = field === 'email' ? EmailSchema : PhoneSchema;
    app.post(`/v1/me/${field}`, {
      schema: {
        tags: ['accounts'],
        summary: `Add or change the ${field}: a code goes to the new address`,
        body: Type.Object({ [field]: addressSchema }, { additionalProperties: false }),
        response: { 202: Accepted },
      },
      preHandler: guards.fresh,
    }, async (request, reply) => {
      await accounts.requestAddressChange(authOf(request).accountId, request.body as Record<string, string>, originOf(request));
      return reply.code(202).send({});
    });

    app.post(`/v1/me/${field}/confirm`, {
      schema: {
        tags: ['accounts'],
        summary: `Confirm the new ${field} with its code; the old address is told`,
        body: Type.Object({ [field]: addressSchema, code: CodeSchema }, { additionalProperties: false }),
        response: { 200: ProfileSchema },
      },
      preHandler: guards.fresh,
    }, async (request) => accounts.confirmAddressChange(authOf(request).accountId, request.body as { code: string }, originOf(request)));
  }

  app.post('/v1/me/password', {
    schema: {
      tags: ['accounts'],
      summary: 'Change the password; every other web and API session ends',
      body: Strict({ currentPassword: PasswordSchema, newPassword: PasswordSchema }),
      response: { 204: NoContent },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => {
    const auth = authOf(request);
    await accounts.changePassword(auth.accountId, auth.sessionId, request.body, originOf(request));
    return reply.code(204).send(null);
  });

  // Anonymous: the link goes to the old address, whose owner may have lost every session to the taker.
  // The portal's page at UNDO_PAGE_PATH asks before it posts here (mail scanners open links).
  app.post('/v1/address-changes/undo', {
    schema: {
      tags: ['accounts'],
      summary: 'Undo an email or phone change with the token of the link sent to the old address (7 days): the old address returns and every web and API session ends',
      body: Strict({ token: Type.String({ minLength: 16, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$' }) }),
      response: { 200: Type.Object({ status: Type.Literal('undone'), field: Type.Union([Type.Literal('email'), Type.Literal('phone')]) }) },
    },
  }, async (request) => ({ status: 'undone' as const, ...(await accounts.undoAddressChange(request.body.token, originOf(request))) }));

  app.get('/v1/me/events', {
    schema: {
      tags: ['accounts'],
      summary: 'Recent security events, newest first',
      querystring: Strict({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) }),
      response: {
        200: Type.Object({
          events: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), at: Type.String(), ip: Type.String(), client: Type.String() })),
        }),
      },
    },
    preHandler: guards.account,
  }, async (request) => {
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100), 1), 500);
    return { events: await events.list(authOf(request).accountId, limit) };
  });
}
