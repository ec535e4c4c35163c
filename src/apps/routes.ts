import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'node:querystring';
import type { Provider } from 'oidc-provider';
import { Type } from 'typebox';
import { authOf, SESSION_COOKIE, type Guards } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { originOf } from '../http/origin.js';
import { NoContent, Strict, TimeSchema } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { SessionService } from '../sessions/service.js';
import { escapeHtml, INTERACTION_PATH, OIDC_ROUTES, SCOPES, type Scope } from './oidc.js';
import type { AppService } from './service.js';

const ScopeSchema = Type.Enum([...SCOPES], { description: `A scope: ${SCOPES.join(', ')}` });
const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

/** What each scope lets an app see, as the consent page says it. */
const SCOPE_TEXT: Record<Scope, string> = {
  openid: 'Know who you are (your Lanyard account id)',
  profile: 'See your name and language',
  email: 'See your email address',
  phone: 'See your phone number',
  offline_access: 'Keep access while you are away (until you revoke it)',
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Lanyard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.55rem 1.1rem;font:inherit;border-radius:.4rem;border:1px solid #555;background:#fff;cursor:pointer}
button.primary{background:#1f5fd6;color:#fff;border-color:#1f5fd6}.error{color:#b00020}li{margin:.3rem 0}</style></head>
<body>${body}</body></html>`;
}

function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  // The pages carry a form that must not be framed by another site (clickjacking). No form-action: the
  // consent form's answer ends in a redirect to the app, which form-action would block in browsers.
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .send(page(title, body));
}

/** Apps (OAuth 2 / OpenID Connect): the provider's endpoints, its sign-in and consent pages, and the API. */
export function registerAppRoutes(app: HttpServer, deps: { apps: AppService; provider: Provider; sessions: SessionService; guards: Guards; secureCookies: boolean; baseUrl: string }) {
  const { apps, provider, sessions, guards, secureCookies } = deps;
  const publicUrl = new URL(deps.baseUrl);
  const handleOidc = provider.callback();

  app.post('/v1/admin/apps', {
    schema: {
      tags: ['admin'],
      summary: 'Register an app that signs in with Lanyard (staff); the client secret is shown once',
      security,
      body: Strict({
        name: Type.String({ minLength: 1, maxLength: 100 }),
        redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 10, uniqueItems: true, description: 'https URLs (http only for localhost)' }),
        scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true, description: 'What the app may ask for; openid is required' }),
        backchannelLogoutUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'OpenID back-channel logout: where the app is told that a person it signed in deleted their account' })),
      }),
      response: {
        201: Type.Object({
          clientId: Type.String(),
          clientSecret: Type.String({ description: 'Shown once; the app authenticates with it at the token endpoint (client_secret_basic)' }),
          name: Type.String(),
          redirectUris: Type.Array(Type.String()),
          scopes: Type.Array(ScopeSchema),
          backchannelLogoutUri: Type.Union([Type.String(), Type.Null()]),
          createdAt: TimeSchema,
        }),
      },
    },
    preHandler: guards.staff,
  }, async (request, reply) => reply.code(201).send(await apps.register(request.body)));

  app.get('/v1/apps', {
    schema: {
      tags: ['apps'],
      summary: 'The apps this account let in, with the scopes granted to each',
      security,
      response: {
        200: Type.Object({
          apps: Type.Array(Type.Object({ clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), grantedAt: TimeSchema })),
        }),
      },
    },
    preHandler: guards.account,
  }, async (request) => ({ apps: await apps.granted(authOf(request).accountId) }));

  app.delete('/v1/apps/:clientId', {
    schema: {
      tags: ['apps'],
      summary: "Revoke an app: its consent and every token it holds for this account end at once",
      security,
      params: Strict({ clientId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }),
      response: { 204: NoContent },
    },
    preHandler: guards.account,
  }, async (request, reply) => {
    await apps.revoke(authOf(request).accountId, request.params.clientId);
    return reply.code(204).send(null);
  });

  // The provider's own endpoints, answered by oidc-provider on the raw request, which reads its form
  // posts itself: this scope leaves their stream unread.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', (_request, _payload, done) => done(null, undefined));
    const passToProvider = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      // The provider builds its URLs from the request; they must be the public ones of LANYARD_BASE_URL
      // whatever Host the request came with (the provider trusts these headers, and only we set them).
      request.raw.headers['x-forwarded-host'] = publicUrl.host;
      request.raw.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
      request.raw.headers['x-forwarded-for'] = request.ip;
      await handleOidc(request.raw, reply.raw);
    };
    scope.get('/.well-known/openid-configuration', { schema: { tags: ['apps'], summary: 'OpenID Connect discovery: the provider\'s endpoints, scopes and claims' } }, passToProvider);
    for (const path of new Set(Object.values(OIDC_ROUTES))) {
      // With what follows them: the authorization endpoint resumes at /oauth/authorize/{uid}, logout confirms at /oauth/logout/confirm.
      for (const url of [path, `${path}/*`]) scope.route({ method: ['GET', 'POST'], url, schema: { hide: true }, handler: passToProvider });
    }
  });

  // Sign-in and consent, on our pages, with the Lanyard web session; their forms are read here.
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => done(null, body));
    const details = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await provider.interactionDetails(request.raw, reply.raw);
      } catch {
        return undefined;
      }
    };
    const expired = (reply: FastifyReply) => sendPage(reply, 400, 'Sign-in expired', '<h1>This sign-in has expired</h1><p>Go back to the app and start again.</p>');
    const finish = async (request: FastifyRequest, reply: FastifyReply, result: Parameters<Provider['interactionFinished']>[2], merge: boolean) => {
      reply.hijack();
      await provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    };
    const signInForm = (uid: string, clientName: string, error?: string) =>
      `<h1>Sign in to continue to ${escapeHtml(clientName)}</h1>${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${INTERACTION_PATH}/${encodeURIComponent(uid)}/login">
<label for="login">Email, phone or account id</label><input id="login" name="login" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">Sign in</button></form>`;
    const clientNameOf = async (clientId: unknown) => (await provider.Client.find(String(clientId)))?.clientName ?? 'the app';

    scope.get(`${INTERACTION_PATH}/:uid`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction) return expired(reply);
      const clientName = await clientNameOf(interaction.params.client_id);
      if (interaction.prompt.name === 'login') {
        // Already signed in to Lanyard in this browser: no second sign-in.
        const token = request.cookies[SESSION_COOKIE];
        const session = token ? await sessions.authenticate(token) : undefined;
        if (session && session.kind === 'web') return finish(request, reply, { login: { accountId: session.accountId } }, false);
        return sendPage(reply, 200, 'Sign in', signInForm(interaction.uid, clientName));
      }
      const missing = (interaction.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
      const scopes = missing.filter((s): s is Scope => s in SCOPE_TEXT);
      return sendPage(
        reply,
        200,
        'Allow access',
        `<h1>${escapeHtml(clientName)} wants to use your Lanyard account</h1><p>If you allow it, it can:</p>
<ul>${scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s])}</li>`).join('')}</ul>
<p>You can revoke this at any time in your account's apps page.</p>
<form method="post" action="${INTERACTION_PATH}/${encodeURIComponent(interaction.uid)}/consent">
<button class="primary" type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny">Deny</button></form>`,
      );
    });

    scope.post(`${INTERACTION_PATH}/:uid/login`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.prompt.name !== 'login') return expired(reply);
      const form = parseQuery(typeof request.body === 'string' ? request.body : '');
      const login = typeof form.login === 'string' ? form.login : '';
      const password = typeof form.password === 'string' ? form.password : '';
      const clientName = await clientNameOf(interaction.params.client_id);
      try {
        const { account, session } = await sessions.signIn({ login, password, kind: 'web' }, originOf(request));
        reply.raw.setHeader('set-cookie', [request.server.serializeCookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'lax', secure: secureCookies, path: '/', maxAge: session.maxAgeSeconds })]);
        return finish(request, reply, { login: { accountId: account.id } }, false);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const message = error.code === 'invalid_credentials' ? 'The login or password is wrong.' : error.message;
        return sendPage(reply, error.status, 'Sign in', signInForm(interaction.uid, clientName, message));
      }
    });

    scope.post(`${INTERACTION_PATH}/:uid/consent`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.prompt.name !== 'consent' || !interaction.session) return expired(reply);
      const form = parseQuery(typeof request.body === 'string' ? request.body : '');
      if (form.decision !== 'allow') return finish(request, reply, { error: 'access_denied', error_description: 'The person did not allow access' }, false);
      const grant = interaction.grantId
        ? (await provider.Grant.find(interaction.grantId))!
        : new provider.Grant({ accountId: interaction.session.accountId, clientId: String(interaction.params.client_id) });
      const missing = interaction.prompt.details;
      if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
      const grantId = await grant.save();
      return finish(request, reply, { consent: { grantId } }, true);
    });
  });
}
