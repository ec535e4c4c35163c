import { Type } from 'typebox';
import { SessionIssuedSchema, SessionKindInput } from '../accounts/schemas.js';
import { CaptchaPayloadSchema } from '../captcha/routes.js';
import { authOf, type Guards } from '../http/auth.js';
import { clearSessionCookie, originOf, sessionKindOf, setSessionCookie } from '../http/origin.js';
import { IdSchema, NoContent, PasswordSchema, Strict, TimeSchema } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { sha256 } from '../crypto/tokens.js';
import type { SessionService } from './service.js';

const SessionSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('web'), Type.Literal('api'), Type.Literal('device')]),
  current: Type.Boolean(),
  createdAt: TimeSchema,
  lastUsedAt: TimeSchema,
  expiresAt: TimeSchema,
  ip: Type.String(),
  client: Type.String(),
});

/** Sign-in, the current session, listing and ending sessions, re-authentication. */
export function registerSessionRoutes(app: HttpServer, deps: { sessions: SessionService; guards: Guards; secureCookies: boolean }) {
  const { sessions, guards, secureCookies } = deps;

  app.post('/v1/sessions', {
    schema: {
      tags: ['sessions'],
      summary: 'Sign in with an email, phone or account id and the password',
      body: Strict({
        login: Type.String({ minLength: 1, maxLength: 254 }),
        password: PasswordSchema,
        kind: Type.Optional(SessionKindInput),
        captcha: Type.Optional(CaptchaPayloadSchema),
      }),
      response: { 201: SessionIssuedSchema },
    },
  }, async (request, reply) => {
    const kind = sessionKindOf(request, request.body.kind);
    const { account, session } = await sessions.signIn({ ...request.body, kind }, originOf(request));
    if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
    return reply.code(201).send({ account, token: session.token, expiresAt: session.expiresAt });
  });

  app.get('/v1/session', {
    schema: {
      tags: ['sessions'],
      summary: 'The current session, with the CSRF token that cookie-authenticated state changes need',
      response: {
        200: Type.Object({
          ...SessionSchema.properties,
          accountId: Type.String(),
          fresh: Type.Boolean({ description: 'Whether the password was entered in the last 10 minutes' }),
          freshUntil: TimeSchema,
          csrfToken: Type.String({ description: 'Send as X-CSRF-Token with cookie-authenticated POST, PUT, PATCH and DELETE' }),
        }),
      },
    },
    preHandler: guards.accountOrDevice,
  }, async (request) => sessions.current(authOf(request)));

  app.get('/v1/sessions', {
    schema: { tags: ['sessions'], summary: 'Every session of the account, the current one marked', response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }) } },
    preHandler: guards.account,
  }, async (request) => ({ sessions: await sessions.list(authOf(request)) }));

  app.delete('/v1/sessions/current', {
    schema: { tags: ['sessions'], summary: 'Sign out', response: { 204: NoContent } },
    preHandler: guards.account,
  }, async (request, reply) => {
    const auth = authOf(request);
    await sessions.end(auth, auth.sessionId, originOf(request));
    clearSessionCookie(reply, secureCookies);
    return reply.code(204).send(null);
  });

  app.delete('/v1/sessions/others', {
    schema: { tags: ['sessions'], summary: 'End every other web and API session of the account', response: { 204: NoContent } },
    preHandler: guards.fresh,
  }, async (request, reply) => {
    await sessions.endOthers(authOf(request), originOf(request));
    return reply.code(204).send(null);
  });

  app.delete('/v1/sessions/:id', {
    schema: { tags: ['sessions'], summary: 'End one session', params: Strict({ id: IdSchema }), response: { 204: NoContent } },
    preHandler: guards.fresh,
  }, async (request, reply) => {
    const auth = authOf(request);
    await sessions.end(auth, request.params.id, originOf(request));
    if (request.params.id === auth.sessionId) clearSessionCookie(reply, secureCookies);
    return reply.code(204).send(null);
  });

  app.post('/v1/session/reauth', {
    schema: {
      tags: ['sessions'],
      summary: 'Enter the password again: a new session replaces this one (the old token stops working), fresh for 10 minutes',
      body: Strict({ password: PasswordSchema }),
      response: {
        200: Type.Object({
          token: Type.Optional(Type.String({ description: 'The new bearer token; a cookie session gets a new cookie instead' })),
          expiresAt: TimeSchema,
          freshUntil: TimeSchema,
          csrfToken: Type.Optional(Type.String({ description: 'Cookie sessions: the new CSRF token, for the new cookie' })),
        }),
      },
    },
    preHandler: guards.account,
  }, async (request, reply) => {
    const auth = authOf(request);
    const { session, freshUntil } = await sessions.reauthenticate(auth, request.body.password, originOf(request));
    reply.header('cache-control', 'no-store');
    if (auth.via === 'cookie') {
      setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
      return { expiresAt: session.expiresAt, freshUntil, csrfToken: sessions.csrfTokenFor(sha256(session.token)) };
    }
    return { token: session.token, expiresAt: session.expiresAt, freshUntil };
  });
}
