import { SessionIssuedSchema } from '../accounts/schemas.js';
import { authOf, type Guards } from '../http/auth.js';
import { issuedBody, originOf, sessionKindOf, setSessionCookie } from '../http/origin.js';
import { IdSchema, NoContent, Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { SessionService } from '../sessions/service.js';
import {
  AccountLockedSchema,
  AddPasskeyBody,
  ConfirmTotpBody,
  FactorCodeSchema,
  LockWithLinkBody,
  PasskeyAddedSchema,
  PasskeySignInBody,
  RecoveryCodeSetSchema,
  SecondFactorBody,
  SecurityViewSchema,
  TotpConfirmedSchema,
  TotpEnrolmentSchema,
  WebAuthnOptionsSchema,
} from './schemas.js';
import type { TwoStepService } from './service.js';

/** Two-step verification: settings under /v1/me, the second step of sign-in, passkey sign-in, Lock my account. */
export function registerTwoStepRoutes(
  app: HttpServer,
  deps: { twoStep: TwoStepService; sessions: SessionService; guards: Guards; secureCookies: boolean },
) {
  const { twoStep, sessions, guards, secureCookies } = deps;
  const tags = ['two-step'];

  app.get(
    '/v1/me/security',
    {
      schema: {
        tags,
        operationId: 'getSecurity',
        summary: 'The password, second factors and recovery codes of the account',
        response: { 200: SecurityViewSchema },
      },
      preHandler: guards.account,
    },
    async (request) => twoStep.security(authOf(request).accountId),
  );

  app.post(
    '/v1/me/totp',
    {
      schema: {
        tags,
        operationId: 'startTotp',
        summary: 'Start adding an authenticator app: its secret and QR code. Enabled once a code confirms it',
        response: { 201: TotpEnrolmentSchema },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => reply.code(201).send(await twoStep.startTotp(authOf(request).accountId)),
  );

  app.post(
    '/v1/me/totp/confirm',
    {
      schema: {
        tags,
        operationId: 'confirmTotp',
        summary:
          'Confirm the authenticator app with its first code; the first factor of an account also gets ten recovery codes',
        body: ConfirmTotpBody,
        response: { 200: TotpConfirmedSchema },
      },
      preHandler: guards.fresh,
    },
    async (request) => ({
      enabled: true as const,
      ...(await twoStep.confirmTotp(authOf(request).accountId, request.body.code, originOf(request))),
    }),
  );

  app.delete(
    '/v1/me/totp',
    {
      schema: {
        tags,
        operationId: 'removeTotp',
        summary: 'Remove the authenticator app (404 when none is enrolled)',
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
      config: { problems: [404] },
    },
    async (request, reply) => {
      await twoStep.removeTotp(authOf(request).accountId, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/me/passkeys/options',
    {
      schema: {
        tags,
        operationId: 'getPasskeyCreationOptions',
        summary: 'WebAuthn creation options for a new passkey (valid 5 minutes)',
        response: { 200: WebAuthnOptionsSchema },
      },
      preHandler: guards.fresh,
    },
    async (request) => twoStep.passkeyCreationOptions(authOf(request).accountId),
  );

  app.post(
    '/v1/me/passkeys',
    {
      schema: {
        tags,
        operationId: 'addPasskey',
        summary:
          'Register a passkey from the authenticator response; the first factor of an account also gets ten recovery codes',
        body: AddPasskeyBody,
        response: { 201: PasskeyAddedSchema },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) =>
      reply.code(201).send(await twoStep.addPasskey(authOf(request).accountId, request.body, originOf(request))),
  );

  app.delete(
    '/v1/me/passkeys/:id',
    {
      schema: {
        tags,
        operationId: 'removePasskey',
        summary: 'Remove a passkey',
        params: Strict({ id: IdSchema }),
        response: { 204: NoContent },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      await twoStep.removePasskey(authOf(request).accountId, request.params.id, originOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/me/recovery-codes',
    {
      schema: {
        tags,
        operationId: 'regenerateRecoveryCodes',
        summary: 'A new set of ten recovery codes; the old set stops working',
        response: { 201: RecoveryCodeSetSchema },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) =>
      reply
        .code(201)
        .send({ codes: await twoStep.regenerateRecoveryCodes(authOf(request).accountId, originOf(request)) }),
  );

  app.post(
    '/v1/me/lock',
    {
      schema: {
        tags,
        operationId: 'lockAccount',
        summary: 'Lock my account: every session and app token ends, and only password recovery opens it again',
        response: { 202: AccountLockedSchema },
      },
      preHandler: guards.account,
    },
    async (request, reply) => reply.code(202).send(await twoStep.lock(authOf(request).accountId, originOf(request))),
  );

  // Anonymous: the link is for a person whose password was taken and who may have lost every session.
  // The portal's page at LOCK_PAGE_PATH asks before it posts here (mail scanners open links).
  app.post(
    '/v1/account-lock',
    {
      schema: {
        tags,
        operationId: 'lockAccountWithLink',
        summary:
          'Lock my account without a session, with the token of the link in a new sign-in or address-changed notice (once, 7 days); the same lock as POST /v1/me/lock',
        body: LockWithLinkBody,
        response: { 202: AccountLockedSchema },
      },
    },
    async (request, reply) => reply.code(202).send(await twoStep.lockWithLink(request.body.token, originOf(request))),
  );

  app.post(
    '/v1/session/reauth/options',
    {
      schema: {
        tags,
        operationId: 'getReauthPasskeyOptions',
        summary: "WebAuthn request options for re-authenticating with one of the account's passkeys (valid 5 minutes)",
        response: { 200: WebAuthnOptionsSchema },
      },
      preHandler: guards.account,
    },
    async (request) => twoStep.passkeyRequestOptions(authOf(request).accountId),
  );

  app.post(
    '/v1/sessions/second-factor',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'completeSecondFactor',
        summary: 'The second step of a sign-in: the challenge from POST /v1/sessions and a second factor',
        body: SecondFactorBody,
        response: { 201: SessionIssuedSchema },
      },
      config: { problems: [401] },
    },
    async (request, reply) => {
      const { account, session, kind } = await sessions.completeSecondFactor(request.body, originOf(request));
      if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
      return reply.code(201).send(issuedBody(kind === 'web' ? 'web' : 'api', account, session));
    },
  );

  app.post(
    '/v1/sessions/passkey/options',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'getPasskeySignInOptions',
        summary: 'WebAuthn request options for a passwordless sign-in with a passkey (valid 5 minutes)',
        response: { 200: WebAuthnOptionsSchema },
      },
    },
    async (request) => twoStep.passkeyRequestOptions(undefined, originOf(request)),
  );

  app.post(
    '/v1/sessions/passkey',
    {
      schema: {
        tags: ['sessions'],
        operationId: 'signInWithPasskey',
        summary: 'Sign in with a passkey alone (it verifies the person): like POST /v1/sessions',
        body: PasskeySignInBody,
        response: { 201: SessionIssuedSchema },
      },
      config: { problems: [401] },
    },
    async (request, reply) => {
      const kind = sessionKindOf(request, request.body.kind);
      const { account, session } = await sessions.signInWithPasskey(request.body.response, kind, originOf(request));
      if (kind === 'web') setSessionCookie(reply, session.token, session.maxAgeSeconds, secureCookies);
      return reply.code(201).send(issuedBody(kind, account, session));
    },
  );
}
