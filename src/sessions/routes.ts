import { SessionIssuedSchema } from '../accounts/schemas.js';
import { authOf, type Guards } from '../http/auth.js';
import { clearSessionCookie, issuedBody, originOf, sessionKindOf, setSessionCookie } from '../http/origin.js';
import { IdSchema, NoContent, Strict, unreadableIds } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { sha256 } from '../crypto/tokens.js';
import { SecondFactorChallengeSchema } from '../two-step/schemas.js';
import { CurrentSessionSchema, ReauthBody, ReauthenticatedSchema, SessionListSchema, SignInBody } from './schemas.js';
import type { SessionService } from './service.js';

/** Sign-in, the current session, listing and ending sessions, re-authentication. */
export function registerSessionRoutes(
  app: HttpServer,
  deps: { sessions: SessionService; guards: Guards; secureCookies: boolean },
) {
  const { sessions, guards, secureCookies } = deps;

  app.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'createSession',
        summary: 'Sign in with an email, phone or account id and the password',
        body: SignInBody,
        response: { 201: SessionIssuedSchema, 200: SecondFactorChallengeSchema },
      },
      // A wrong login or password: 401 invalid_credentials.
      config: { problems: [401] },
    },
    async (request, reply) => {
      const kind = sessionKindOf(request, request.body.kind);
      const result = await sessions.beginSignIn({ ...request.body, kind }, originOf(request));
      if ('secondFactor' in result) return reply.code(200).send(result);
      const { account, session } = result;
      if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
      return reply.code(201).send(issuedBody(kind, account, session));
    },
  );

  app.get(
    '/v1/session',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getCurrentSession',
        summary: 'The current session, with the CSRF token that cookie-authenticated state changes need',
        response: { 200: CurrentSessionSchema },
      },
      preHandler: guards.accountOrDevice,
    },
    async (request) => sessions.current(authOf(request)),
  );

  app.get(
    '/v1/sessions',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'listSessions',
        summary: 'Every session of the account, the current one marked',
        response: { 200: SessionListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => {
      const list = await sessions.list(authOf(request));
      return { sessions: list, unreadable: unreadableIds(list) };
    },
  );

  app.delete(
    '/v1/sessions/current',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'deleteCurrentSession',
        summary: 'Sign out',
        response: { 204: NoContent },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      const auth = authOf(request);
      await sessions.end(auth, auth.sessionId, originOf(request));
      clearSessionCookie(reply, secureCookies);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/sessions/others',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'deleteOtherSessions',
        summary: 'End every other web and API session of the account',
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      await sessions.endOthers(authOf(request), originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'deleteSession',
        summary: 'End one session',
        params: Strict({ id: IdSchema }),
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      const auth = authOf(request);
      await sessions.end(auth, request.params.id, originOf(request));
      if (request.params.id === auth.sessionId) clearSessionCookie(reply, secureCookies);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/session/reauth',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'reauthenticate',
        summary:
          'Enter the password (or a second factor) again: a new session replaces this one (the old token stops working), fresh for 10 minutes',
        body: ReauthBody,
        response: { 200: ReauthenticatedSchema },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { session, freshUntil } = await sessions.reauthenticate(auth, request.body, originOf(request));
      reply.header('cache-control', 'no-store');
      if (auth.via === 'cookie') {
        setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
        return { expiresAt: session.expiresAt, freshUntil, csrfToken: sessions.csrfTokenFor(sha256(session.token)) };
      }
      return { token: session.token, expiresAt: session.expiresAt, freshUntil };
    },
  );
}
