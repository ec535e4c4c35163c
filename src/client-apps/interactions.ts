import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'node:querystring';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../clock.js';
import { openText, sealText } from '../crypto/sealing.js';
import { sessionCookieName } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { originOf } from '../http/origin.js';
import type { HttpServer } from '../http/server.js';
import type { SessionService } from '../sessions/service.js';
import type { OidcHost } from './host.js';
import { ACR, IMPLIED_CONSENT_PARAM, INTERACTION_PATH } from './oidc.js';
import {
  alert,
  buttons,
  card,
  consentBody,
  escapeHtml,
  expiredBody,
  localeOf,
  mainButton,
  page,
  PAGE_HEADERS,
  secondaryButton,
  secondFactorBody,
  signInBody,
  textField,
  textOf,
} from './pages.js';
import { isScope } from './scopes.js';
import { AMR_OF, type SecondFactorStep } from './second-factor.js';

type Features = NonNullable<Configuration['features']>;
const stateAad = (uid: string) => `oidc-second-factor/v1\u0000${uid}`;
/** How long the password of a pending second step stays good. */
const SECOND_FACTOR_WINDOW_MS = 10 * 60 * 1000;

const formOf = (body: unknown) => parseQuery(typeof body === 'string' ? body : '');
const field = (form: Record<string, unknown>, name: string) =>
  typeof form[name] === 'string' ? (form[name] as string) : '';
const hiddenOf = (form: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1] ?? '';
const actionOf = (form: string) => /action="([^"]*)"/.exec(form)?.[1] ?? '';

/** The pages oidc-provider renders itself (sign-out, the device flow), in Lanyard's look and both languages. */
export function providerPages(deps: { sessions: SessionService; clock: Clock; secureCookies: boolean }): {
  logoutPages: Pick<Features['rpInitiatedLogout'] & object, 'logoutSource' | 'postLogoutSuccessSource'>;
  deviceFlowPages: Pick<
    Features['deviceFlow'] & object,
    'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'
  >;
  webSessionMatches(ctx: KoaContextWithOIDC, accountId: string): Promise<boolean>;
} {
  const render = (
    ctx: KoaContextWithOIDC,
    title: (t: ReturnType<typeof textOf>) => string,
    body: (t: ReturnType<typeof textOf>, locale: 'en' | 'es') => string,
  ) => {
    const locale = localeOf(ctx.oidc.params?.ui_locales, ctx.get('accept-language'));
    const t = textOf(locale);
    ctx.set(PAGE_HEADERS);
    ctx.body = page(locale, title(t), body(t, locale));
  };
  const appName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? '';
  return {
    logoutPages: {
      async logoutSource(ctx, form) {
        const xsrf = hiddenOf(form, 'xsrf');
        render(
          ctx,
          (t) => t.signOutTitle,
          (t) =>
            card(
              t.signOutOf(appName(ctx)),
              `<p>${escapeHtml(t.signOutExplain)}</p>
<form class="form" method="post" action="${escapeHtml(actionOf(form))}"><input type="hidden" name="xsrf" value="${escapeHtml(xsrf)}">
${buttons(mainButton(t.signOutYes, 'name="logout" value="yes"'), secondaryButton(t.signOutNo))}</form>`,
            ),
        );
      },
      async postLogoutSuccessSource(ctx) {
        render(
          ctx,
          (t) => t.signedOutTitle,
          (t) => card(t.signedOut, `<p class="notice" role="status">${escapeHtml(t.signedOutText)}</p>`),
        );
      },
    },
    deviceFlowPages: {
      async userCodeInputSource(ctx, form, _out, error) {
        render(
          ctx,
          (t) => t.activateTitle,
          (t) =>
            card(
              t.activate,
              `<form class="form" method="post" action="${escapeHtml(actionOf(form))}"><input type="hidden" name="xsrf" value="${escapeHtml(hiddenOf(form, 'xsrf'))}">
${error ? alert(t.codeWrong) : `<p>${escapeHtml(t.activateText)}</p>`}
${textField('user_code', t.code, 'autocomplete="off" autocapitalize="characters" spellcheck="false" required')}
${buttons(mainButton(t.continue))}</form>`,
            ),
        );
      },
      async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
        const name = client.clientName ?? client.clientId;
        const hidden = ['xsrf', 'user_code', 'confirm']
          .map((n) => `<input type="hidden" name="${n}" value="${escapeHtml(hiddenOf(form, n))}">`)
          .join('');
        render(
          ctx,
          (t) => t.confirmTitle,
          (t) =>
            card(
              t.confirm(name),
              `<p>${escapeHtml(t.confirmText)}</p><p><code class="user-code">${escapeHtml(userCode)}</code></p>
<form class="form" method="post" action="${escapeHtml(actionOf(form))}">${hidden}
${buttons(mainButton(t.continue), secondaryButton(t.cancel, 'name="abort" value="yes"'))}</form>`,
            ),
        );
      },
      async successSource(ctx) {
        render(
          ctx,
          (t) => t.doneTitle,
          (t) => card(t.done(appName(ctx)), `<p class="notice" role="status">${escapeHtml(t.doneText)}</p>`),
        );
      },
    },
    async webSessionMatches(ctx, accountId) {
      const token = ctx.cookies.get(sessionCookieName(deps.secureCookies), { signed: false });
      const session = token ? await deps.sessions.authenticate(token).catch(() => undefined) : undefined;
      if (session?.kind !== 'web' || session.accountId !== accountId) return false;
      // max_age by the time the password was last given to Lanyard (a re-authentication in the portal counts).
      const maxAge = (ctx.oidc.params as Record<string, unknown> | undefined)?.['max_age'];
      return maxAge === undefined || deps.clock.now() - session.reauthenticatedAt < Number(maxAge) * 1000;
    },
  };
}

/**
 * RP-initiated logout that the person confirmed ends their Lanyard web session too: on a shared
 * device, "sign me out" in an app leaves nobody signed in. Called from the provider's
 * end_session.success event (synchronous): the cookie is cleared in this answer, the session ended
 * by the promise the caller awaits.
 */
export function endWebSessionOnLogout(
  sessions: SessionService,
  ctx: KoaContextWithOIDC,
  secureCookies: boolean,
): Promise<void> | undefined {
  if (!ctx.oidc.params?.logout) return undefined;
  const cookieName = sessionCookieName(secureCookies);
  const token = ctx.cookies.get(cookieName, { signed: false });
  if (!token) return undefined;
  ctx.cookies.set(cookieName, null, {
    signed: false,
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies,
  });
  const origin = { ip: ctx.ip, client: String(ctx.get('user-agent') || 'unknown').slice(0, 200) };
  return (async () => {
    const auth = await sessions.authenticate(token);
    if (auth) await sessions.end({ ...auth, via: 'cookie' }, auth.sessionId, origin);
  })();
}

/** Sign-in, second step and consent for apps, on our pages, with the Lanyard web session; their forms are read here. */
export function registerInteractionRoutes(
  app: HttpServer,
  deps: {
    host: OidcHost;
    sessions: SessionService;
    secondFactor: SecondFactorStep;
    stateKey: Buffer;
    secureCookies: boolean;
    clock: Clock;
  },
) {
  const { host, sessions, stateKey, secureCookies, clock } = deps;
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_request, body, done) => done(null, body),
    );
    const details = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await host.provider.interactionDetails(request.raw, reply.raw);
      } catch {
        return undefined;
      }
    };
    type Details = NonNullable<Awaited<ReturnType<typeof details>>>;
    const localeFor = (request: FastifyRequest, interaction?: Details) =>
      localeOf(interaction?.params.ui_locales, request.headers['accept-language']);
    const send = (reply: FastifyReply, status: number, locale: 'en' | 'es', title: string, body: string) =>
      reply
        .code(status)
        .headers(PAGE_HEADERS)
        .send(page(locale, title, body));
    const expired = (request: FastifyRequest, reply: FastifyReply) => {
      const t = textOf(localeFor(request));
      return send(reply, 400, localeFor(request), t.expiredTitle, expiredBody(t));
    };
    const finish = async (
      request: FastifyRequest,
      reply: FastifyReply,
      result: Parameters<typeof host.provider.interactionFinished>[2],
      merge: boolean,
    ) => {
      reply.hijack();
      await host.provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    };
    const clientNameOf = async (clientId: unknown) =>
      (await host.provider.Client.find(String(clientId)))?.clientName ?? 'the app';
    const nowSeconds = () => Math.floor(Date.now() / 1000);
    /** A login result: when the password was really given, and whether a second factor came with it. */
    const loginResult = (accountId: string, ts: number, method?: string) => ({
      login: {
        accountId,
        ts,
        acr: method ? ACR.twoFactor : ACR.password,
        amr: method ? ['pwd', AMR_OF[method] ?? method, 'mfa'] : ['pwd'],
      },
    });
    /** An app that insists (claims with an essential acr) on a second factor the person does not have. */
    const essentialTwoFactor = (interaction: Details) =>
      interaction.prompt.reasons.some((r) => r === 'essential_acr' || r === 'essential_acrs');
    const wantsTwoFactor = (interaction: Details) =>
      essentialTwoFactor(interaction) ||
      String(interaction.params.acr_values ?? '')
        .split(' ')
        .includes(ACR.twoFactor);
    const signInPage = async (
      request: FastifyRequest,
      reply: FastifyReply,
      interaction: Details,
      status = 200,
      error?: string,
      login?: string,
    ) => {
      const locale = localeFor(request, interaction);
      const t = textOf(locale);
      const again = interaction.prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age');
      return send(
        reply,
        status,
        locale,
        t.signIn,
        signInBody(
          t,
          `${INTERACTION_PATH}/${encodeURIComponent(interaction.uid)}/login`,
          await clientNameOf(interaction.params.client_id),
          { again, ...(login ? { login } : {}), ...(error ? { error } : {}) },
        ),
      );
    };

    scope.get(`${INTERACTION_PATH}/:uid`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction) return expired(request, reply);
      if (interaction.prompt.name === 'login') {
        // Already signed in to Lanyard in this browser: no second sign-in, unless the app asked for a
        // fresh one (prompt=login), a recent one (max_age) the web session is too old for, or a second factor.
        const token = request.cookies[sessionCookieName(secureCookies)];
        const session = token ? await sessions.authenticate(token) : undefined;
        if (session && session.kind === 'web') {
          const ageSeconds = Math.max(0, Math.floor((clock.now() - session.reauthenticatedAt) / 1000));
          const maxAge = interaction.params.max_age === undefined ? undefined : Number(interaction.params.max_age);
          const fresh = maxAge === undefined || ageSeconds < maxAge;
          if (!interaction.prompt.reasons.includes('login_prompt') && fresh && !wantsTwoFactor(interaction)) {
            return finish(request, reply, loginResult(session.accountId, nowSeconds() - ageSeconds), false);
          }
        }
        return signInPage(request, reply, interaction);
      }
      const locale = localeFor(request, interaction);
      const t = textOf(locale);
      const asked = interaction.prompt.details;
      const nothingNew = !asked.missingOIDCScope && !asked.missingOIDCClaims && !asked.missingResourceScopes;
      if (
        interaction.params[IMPLIED_CONSENT_PARAM] === '1' &&
        nothingNew &&
        interaction.grantId &&
        interaction.prompt.reasons.every((r: string) => r === 'consent_prompt')
      ) {
        // The person already allowed everything asked, offline_access included (see keepOfflineAccess).
        return finish(request, reply, { consent: { grantId: interaction.grantId } }, true);
      }
      const missing = [
        ...((interaction.prompt.details.missingOIDCScope as string[] | undefined) ?? []),
        ...Object.values(
          (interaction.prompt.details.missingResourceScopes as Record<string, string[]> | undefined) ?? {},
        ).flat(),
      ];
      const scopes = [...new Set(missing)].filter(isScope);
      return send(
        reply,
        200,
        locale,
        t.allowAccess,
        consentBody(
          t,
          locale,
          `${INTERACTION_PATH}/${encodeURIComponent(interaction.uid)}/consent`,
          await clientNameOf(interaction.params.client_id),
          scopes,
        ),
      );
    });

    scope.post(`${INTERACTION_PATH}/:uid/login`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.prompt.name !== 'login') return expired(request, reply);
      const form = formOf(request.body);
      const t = textOf(localeFor(request, interaction));
      let signedIn: Awaited<ReturnType<SessionService['beginSignIn']>>;
      try {
        signedIn = await sessions.beginSignIn(
          { login: field(form, 'login'), password: field(form, 'password'), kind: 'web' },
          originOf(request),
        );
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        return signInPage(
          request,
          reply,
          interaction,
          error.status,
          error.code === 'invalid_credentials' ? t.wrong : error.message,
          field(form, 'login'),
        );
      }
      if ('secondFactor' in signedIn) {
        // The password was right; the session and the app's code wait for the second step, which the
        // two-step challenge (single use, attempts counted) decides. This form takes typed codes only.
        const methods = signedIn.secondFactor.methods.filter((m) => m !== 'passkey');
        const state = sealText(
          stateKey,
          JSON.stringify({
            challengeId: signedIn.secondFactor.challengeId,
            ts: nowSeconds(),
            until: Date.now() + SECOND_FACTOR_WINDOW_MS,
          }),
          stateAad(interaction.uid),
        );
        return send(
          reply,
          200,
          localeFor(request, interaction),
          t.secondFactor,
          secondFactorBody(
            t,
            `${INTERACTION_PATH}/${encodeURIComponent(interaction.uid)}/second-factor`,
            state,
            methods,
          ),
        );
      }
      if (essentialTwoFactor(interaction)) {
        return finish(
          request,
          reply,
          { error: 'unmet_authentication_requirements', error_description: 'This account has no second factor' },
          false,
        );
      }
      const cookie = request.server.serializeCookie(sessionCookieName(secureCookies), signedIn.session.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: '/',
        maxAge: signedIn.session.maxAgeSeconds,
      });
      reply.raw.setHeader('set-cookie', [cookie]);
      return finish(request, reply, loginResult(signedIn.account.id, nowSeconds()), false);
    });

    scope.post(`${INTERACTION_PATH}/:uid/second-factor`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.prompt.name !== 'login') return expired(request, reply);
      const form = formOf(request.body);
      let pending: { challengeId: string; ts: number; until: number };
      try {
        pending = JSON.parse(openText(stateKey, field(form, 'state'), stateAad(interaction.uid))) as typeof pending;
      } catch {
        return expired(request, reply);
      }
      if (pending.until < Date.now()) return expired(request, reply);
      const code = field(form, 'code').trim();
      // One field takes either kind of code: six digits are the authenticator's, anything else a recovery code.
      const method = /^\d{6}$/.test(code) ? 'totp' : 'recovery_code';
      const t = textOf(localeFor(request, interaction));
      let done: Awaited<ReturnType<SessionService['completeSecondFactor']>>;
      try {
        done = await sessions.completeSecondFactor(
          { challengeId: pending.challengeId, method, code },
          originOf(request),
        );
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (error.code === 'two_step.challenge_invalid' || error.code === 'two_step.too_many_attempts')
          return expired(request, reply);
        return send(
          reply,
          401,
          localeFor(request, interaction),
          t.secondFactor,
          secondFactorBody(
            t,
            `${INTERACTION_PATH}/${encodeURIComponent(interaction.uid)}/second-factor`,
            field(form, 'state'),
            ['totp', 'recovery_code'],
            t.wrongCode,
          ),
        );
      }
      const cookie = request.server.serializeCookie(sessionCookieName(secureCookies), done.session.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        path: '/',
        maxAge: done.session.maxAgeSeconds,
      });
      reply.raw.setHeader('set-cookie', [cookie]);
      return finish(request, reply, loginResult(done.account.id, pending.ts, method), false);
    });

    scope.post(`${INTERACTION_PATH}/:uid/consent`, { schema: { hide: true } }, async (request, reply) => {
      const interaction = await details(request, reply);
      if (!interaction || interaction.prompt.name !== 'consent' || !interaction.session) return expired(request, reply);
      const form = formOf(request.body);
      if (form.decision !== 'allow')
        return finish(
          request,
          reply,
          { error: 'access_denied', error_description: 'The person did not allow access' },
          false,
        );
      const { Grant } = host.provider;
      const grant =
        (interaction.grantId ? await Grant.find(interaction.grantId) : undefined) ??
        new Grant({ accountId: interaction.session.accountId, clientId: String(interaction.params.client_id) });
      const missing = interaction.prompt.details;
      if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
      for (const [indicator, scopes] of Object.entries(
        (missing.missingResourceScopes as Record<string, string[]> | undefined) ?? {},
      ))
        grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      return finish(request, reply, { consent: { grantId } }, true);
    });
  });
}
