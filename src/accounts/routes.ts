import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Guards } from '../http/auth.js';
import { authOf } from '../http/auth.js';
import { issuedBody, originOf, sessionKindOf, setSessionCookie } from '../http/origin.js';
import { NoContent, unreadableIds } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { localeFromHeader } from '../messaging/templates.js';
import type { SecurityEventService } from '../events/service.js';
import {
  AddressChangeBodies,
  AddressConfirmBodies,
  ChangePasswordBody,
  CodeSentSchema,
  CompleteSignupBody,
  EventsQuery,
  ProfileSchema,
  SecurityEventListSchema,
  SessionIssuedSchema,
  SignupBody,
  UndoAddressChangeBody,
  AddressChangeUndoneSchema,
  UpdateMeBody,
} from './schemas.js';
import type { AccountService } from './service.js';

/** Sign-up, the profile, address and password changes, security events. */
export function registerAccountRoutes(
  app: HttpServer,
  deps: { accounts: AccountService; events: SecurityEventService; guards: Guards; secureCookies: boolean },
) {
  const { accounts, events, guards } = deps;

  app.post(
    '/v1/signup',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'startSignup',
        summary: 'Start sign-up: send a 6-digit code to an email or phone',
        body: SignupBody,
        response: { 202: CodeSentSchema },
      },
    },
    async (request, reply) => {
      await accounts.requestSignup(
        request.body,
        request.body.locale ?? localeFromHeader(request.headers['accept-language']),
        originOf(request),
      );
      return reply.code(202).send({});
    },
  );

  app.post(
    '/v1/signup/complete',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'completeSignup',
        summary: 'Complete sign-up with the code and a password; creates the account and a session',
        body: CompleteSignupBody,
        response: { 201: SessionIssuedSchema },
      },
    },
    async (request, reply) => {
      const kind = sessionKindOf(request, request.body.kind);
      const locale = request.body.locale ?? localeFromHeader(request.headers['accept-language']);
      const { account, session } = await accounts.completeSignup(request.body, kind, locale, originOf(request));
      if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, deps.secureCookies);
      return reply.code(201).send(issuedBody(kind, account, session));
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'getMe',
        summary: 'The profile of the signed-in account',
        response: { 200: ProfileSchema },
      },
      preHandler: guards.account,
    },
    async (request) => accounts.profileFromStored(authOf(request).account),
  );

  app.patch(
    '/v1/me',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'updateMe',
        summary: 'Change the name',
        body: UpdateMeBody,
        response: { 200: ProfileSchema },
      },
      preHandler: guards.account,
    },
    async (request) => accounts.updateProfile(authOf(request).accountId, request.body, originOf(request)),
  );

  // The email and the phone change alike: one handler each for both addresses' routes.
  const requestAddressChange = async (request: FastifyRequest, reply: FastifyReply) => {
    await accounts.requestAddressChange(
      authOf(request).accountId,
      request.body as Record<string, string>,
      originOf(request),
    );
    return reply.code(202).send({});
  };
  const confirmAddressChange = async (request: FastifyRequest) =>
    accounts.confirmAddressChange(authOf(request).accountId, request.body as { code: string }, originOf(request));

  app.post(
    '/v1/me/email',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'requestEmailChange',
        summary: 'Add or change the email: a code goes to the new address',
        body: AddressChangeBodies.email,
        response: { 202: CodeSentSchema },
      },
      preHandler: guards.fresh,
    },
    requestAddressChange,
  );

  app.post(
    '/v1/me/email/confirm',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'confirmEmailChange',
        summary: 'Confirm the new email with its code; the old address is told',
        body: AddressConfirmBodies.email,
        response: { 200: ProfileSchema },
      },
      preHandler: guards.fresh,
    },
    confirmAddressChange,
  );

  app.post(
    '/v1/me/phone',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'requestPhoneChange',
        summary: 'Add or change the phone: a code goes to the new address',
        body: AddressChangeBodies.phone,
        response: { 202: CodeSentSchema },
      },
      preHandler: guards.fresh,
    },
    requestAddressChange,
  );

  app.post(
    '/v1/me/phone/confirm',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'confirmPhoneChange',
        summary: 'Confirm the new phone with its code; the old address is told',
        body: AddressConfirmBodies.phone,
        response: { 200: ProfileSchema },
      },
      preHandler: guards.fresh,
    },
    confirmAddressChange,
  );

  app.post(
    '/v1/me/password',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'changePassword',
        summary: 'Change the password; every other web and API session ends',
        body: ChangePasswordBody,
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      const auth = authOf(request);
      await accounts.changePassword(auth.accountId, auth.sessionId, request.body, originOf(request));
      return reply.code(204).send(null);
    },
  );

  // Anonymous: the link goes to the old address, whose owner may have lost every session to the taker.
  // The portal's page at UNDO_PAGE_PATH asks before it posts here (mail scanners open links).
  app.post(
    '/v1/address-changes/undo',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'undoAddressChange',
        summary:
          'Undo an email or phone change with the token of the link sent to the old address (7 days): the old address returns and every web and API session ends',
        body: UndoAddressChangeBody,
        response: { 200: AddressChangeUndoneSchema },
      },
    },
    async (request) => ({
      status: 'undone' as const,
      ...(await accounts.undoAddressChange(request.body.token, originOf(request))),
    }),
  );

  app.get(
    '/v1/me/events',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listSecurityEvents',
        summary: 'Recent security events, newest first',
        querystring: EventsQuery,
        response: { 200: SecurityEventListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 100), 1), 500);
      const list = await events.list(authOf(request).accountId, limit);
      return { events: list, unreadable: unreadableIds(list) };
    },
  );
}
