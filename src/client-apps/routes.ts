import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Provider } from 'oidc-provider';
import { authOf, sessionCookieName, type Guards } from '../http/auth.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { SessionService } from '../sessions/service.js';
import type { Clock } from '../clock.js';
import type { OidcHost } from './host.js';
import { endWebSessionOnLogout, registerInteractionRoutes } from './interactions.js';
import { OIDC_ROUTES } from './oidc.js';
import {
  AppCreatedSchema,
  AppGrantListSchema,
  AppListSchema,
  AppView,
  ClientIdParams,
  ClientSecretSchema,
  CreateAppBody,
  OpenIdConfigurationSchema,
  UpdateAppBody,
} from './schemas.js';
import type { SecondFactorStep } from './second-factor.js';
import type { ClientAppService } from './service.js';

/** The provider's routes where a person's authorization completes with their provider session. */
const LINKING_ROUTES: ReadonlySet<string | undefined> = new Set(['authorization', 'resume', 'device_resume']);

/** Apps (OAuth 2 / OpenID Connect): the provider's endpoints, its sign-in and consent pages, and the API. */
export function registerClientAppRoutes(
  app: HttpServer,
  deps: {
    apps: ClientAppService;
    host: OidcHost;
    sessions: SessionService;
    guards: Guards;
    secureCookies: boolean;
    baseUrl: string;
    secondFactor: SecondFactorStep;
    stateKey: Buffer;
    clock: Clock;
  },
) {
  const { apps, host, sessions, guards } = deps;
  const publicUrl = new URL(deps.baseUrl);

  app.post(
    '/v1/admin/apps',
    {
      schema: {
        operationId: 'createApp',
        tags: ['admin'],
        summary: "Register an app that signs in with Lanyard (admin); a web app's client secret is shown once",
        body: CreateAppBody,
        response: { 201: AppCreatedSchema },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => reply.code(201).send(await apps.register(request.body)),
  );

  app.get(
    '/v1/admin/apps',
    {
      schema: {
        operationId: 'listAdminApps',
        tags: ['admin'],
        summary: 'Every app, with how many accounts let it in and when it last got tokens (admin)',
        response: { 200: AppListSchema },
      },
      preHandler: guards.admin,
    },
    async () => ({ apps: await apps.list() }),
  );

  app.get(
    '/v1/admin/apps/:clientId',
    {
      schema: {
        operationId: 'getAdminApp',
        tags: ['admin'],
        summary: 'One app (admin)',
        params: ClientIdParams,
        response: { 200: AppView },
      },
      preHandler: guards.admin,
    },
    async (request) => apps.get(request.params.clientId),
  );

  app.patch(
    '/v1/admin/apps/:clientId',
    {
      schema: {
        operationId: 'updateApp',
        tags: ['admin'],
        summary: 'Change an app: name, logo, URIs, scopes, first-party, DPoP/PAR, disabled (admin)',
        params: ClientIdParams,
        body: UpdateAppBody,
        response: { 200: AppView },
      },
      preHandler: guards.admin,
    },
    async (request) => apps.update(request.params.clientId, request.body),
  );

  app.delete(
    '/v1/admin/apps/:clientId',
    {
      schema: {
        operationId: 'deleteApp',
        tags: ['admin'],
        summary: 'Delete an app: every grant and token it held ends (admin)',
        params: ClientIdParams,
        response: { 204: NoContent },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => {
      await apps.delete(request.params.clientId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/apps/:clientId/secret',
    {
      schema: {
        operationId: 'rotateAppSecret',
        tags: ['admin'],
        summary: 'A new client secret for a web app, shown once; the old one stops working (admin)',
        params: ClientIdParams,
        response: { 200: ClientSecretSchema },
      },
      preHandler: guards.admin,
    },
    async (request) => apps.rotateSecret(request.params.clientId),
  );

  app.get(
    '/v1/apps',
    {
      schema: {
        operationId: 'listApps',
        tags: ['apps'],
        summary: 'The apps this account let in, with the scopes granted to each',
        response: { 200: AppGrantListSchema },
      },
      preHandler: guards.account,
    },
    async (request) => ({ apps: await apps.granted(authOf(request).accountId) }),
  );

  app.delete(
    '/v1/apps/:clientId',
    {
      schema: {
        operationId: 'revokeApp',
        tags: ['apps'],
        summary: 'Revoke an app: its consent and every token it holds for this account end at once',
        params: ClientIdParams,
        response: { 204: NoContent },
      },
      preHandler: guards.account,
    },
    async (request, reply) => {
      await apps.revoke(authOf(request).accountId, request.params.clientId);
      return reply.code(204).send(null);
    },
  );

  // RP-initiated logout the person confirmed ends their web session too (see endWebSessionOnLogout).
  const pendingLogouts = new WeakMap<object, Promise<void>>();
  host.onProvider((provider) => {
    provider.on('end_session.success', (ctx) => {
      const ending = endWebSessionOnLogout(sessions, ctx, deps.secureCookies);
      if (ending) pendingLogouts.set(ctx.req, ending);
    });
    // The answer (the redirect back to the app) leaves once the web session has ended, not before.
    provider.use(async (ctx, next) => {
      await next();
      const ending = pendingLogouts.get(ctx.req);
      if (ending)
        await ending.catch((error: unknown) =>
          app.log.error({ err: error }, 'could not end the web session at logout'),
        );
    });
    // An authorization that went through (a code, or a device let in) notes which web session the provider
    // session was used with, so that ending that web session ends the apps' sign-ins (ClientAppService.endWebSessions).
    provider.use(async (ctx, next) => {
      await next();
      const session = ctx.oidc?.session;
      if (!LINKING_ROUTES.has(ctx.oidc?.route) || !session?.accountId || ctx.status >= 400) return;
      const token = ctx.cookies.get(sessionCookieName(deps.secureCookies), { signed: false });
      const web = token ? await sessions.authenticate(token).catch(() => undefined) : undefined;
      if (web?.kind === 'web' && web.accountId === session.accountId)
        await apps.linkWebSession(session.uid, web.sessionId);
    });
  });
  const handlers = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const handlerOf = (provider: Provider) => {
    let handler = handlers.get(provider);
    if (!handler) handlers.set(provider, (handler = provider.callback()));
    return handler;
  };

  // The provider's own endpoints, answered by oidc-provider on the raw request, which reads its form
  // posts itself: this scope leaves their stream unread.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) =>
      done(null, undefined),
    );
    const passToProvider = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      // The provider builds its URLs from the request; they must be the public ones of LANYARD_BASE_URL
      // whatever Host the request came with (the provider trusts these headers, and only we set them).
      request.raw.headers['x-forwarded-host'] = publicUrl.host;
      request.raw.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
      request.raw.headers['x-forwarded-for'] = request.ip;
      await handlerOf(host.provider)(request.raw, reply.raw);
    };
    scope.get(
      '/.well-known/openid-configuration',
      {
        schema: {
          tags: ['apps'],
          operationId: 'getOpenIdConfiguration',
          summary: "OpenID Connect discovery: the provider's endpoints, scopes and claims",
          response: { 200: OpenIdConfigurationSchema },
        },
      },
      passToProvider,
    );
    // The endpoints of OIDC_ROUTES (src/client-apps/oidc.ts), each with what follows it: the authorization endpoint
    // resumes at /oauth/authorize/{uid}, logout confirms at /oauth/logout/confirm.
    const written = new Set<string>();
    const toProvider = (url: string) => {
      written.add(url);
      scope.route({ method: ['GET', 'POST'], url, schema: { hide: true }, handler: passToProvider });
    };
    toProvider('/oauth/authorize');
    toProvider('/oauth/authorize/*');
    toProvider('/oauth/token');
    toProvider('/oauth/token/*');
    toProvider('/oauth/userinfo');
    toProvider('/oauth/userinfo/*');
    toProvider('/oauth/jwks');
    toProvider('/oauth/jwks/*');
    toProvider('/oauth/revoke');
    toProvider('/oauth/revoke/*');
    toProvider('/oauth/introspect');
    toProvider('/oauth/introspect/*');
    toProvider('/oauth/logout');
    toProvider('/oauth/logout/*');
    toProvider('/oauth/par');
    toProvider('/oauth/par/*');
    toProvider('/activate');
    toProvider('/activate/*');
    toProvider('/oauth/device');
    toProvider('/oauth/device/*');
    const missing = Object.values(OIDC_ROUTES).filter((path) => !written.has(path) || !written.has(`${path}/*`));
    if (missing.length > 0) throw new Error(`OIDC_ROUTES without a route to the provider: ${missing.join(', ')}`);
  });

  registerInteractionRoutes(app, {
    host,
    sessions,
    secondFactor: deps.secondFactor,
    stateKey: deps.stateKey,
    secureCookies: deps.secureCookies,
    clock: deps.clock,
  });
}
