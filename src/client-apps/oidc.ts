import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Configuration, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { AccountService } from '../accounts/service.js';
import type { Db } from '../db/schema.js';
import { databaseAdapter } from './adapter.js';
import type { KeySet } from './keys.js';
import { card, escapeHtml, localeOf, page, PAGE_HEADERS, textOf } from './pages.js';
import { API_SCOPES, OIDC_SCOPES, SCOPE_CLAIMS } from './scopes.js';

export { SCOPE_CLAIMS };

/** Where the provider's endpoints live; discovery stays at /.well-known/openid-configuration. */
export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  end_session: '/oauth/logout',
  pushed_authorization_request: '/oauth/par',
  code_verification: '/activate',
  device_authorization: '/oauth/device',
} as const;
export const INTERACTION_PATH = '/oauth/interaction';
/** Host names of this machine: app URIs there may use http (development), and pass the SSRF guard. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The claim of an API access token (JWT) that names the grant it was issued under. */
export const GRANT_CLAIM = 'lanyard_grant';

/** Authentication context classes: the password alone, or the password and a second factor. */
export const ACR = { password: 'urn:lanyard:acr:password', twoFactor: 'urn:lanyard:acr:2fa' } as const;

/**
 * Loads oidc-provider with its load-time warnings sent to our log instead of stderr. It warns once,
 * at load, that it wants Node.js 22; this project runs on the Node.js 20 of its machines, where every
 * test of the flow passes (see the closing note of the apps work).
 */
export async function loadOidcProvider(log: FastifyBaseLogger): Promise<typeof import('oidc-provider')> {
  const warn = console.warn;
  console.warn = (...parts: unknown[]) => log.warn({ library: 'oidc-provider' }, parts.map(String).join(' '));
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
  }
}

export interface OidcOptions {
  issuer: string;
  secureCookies: boolean;
  cookieKey: Buffer;
  /** RFC 8707 resource indicator of Lanyard's own API. */
  apiResource: string;
  /** The device flow's pages (/activate): ours, on the Lanyard web session. */
  deviceFlowPages: Pick<
    NonNullable<NonNullable<Configuration['features']>['deviceFlow']>,
    'userCodeInputSource' | 'userCodeConfirmSource' | 'successSource'
  >;
  logoutPages: Pick<
    NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>,
    'logoutSource' | 'postLogoutSuccessSource'
  >;
  /** True while the browser's Lanyard web session is alive and is this account's: else the provider asks again. */
  webSessionMatches(ctx: KoaContextWithOIDC, accountId: string): Promise<boolean>;
  firstParty(clientId: string): Promise<boolean>;
}

/**
 * The OpenID Connect provider: oidc-provider, an OpenID Certified implementation, on our database.
 * Sign-in and consent happen on our own pages (INTERACTION_PATH), with the Lanyard web session.
 */
export async function createOidcProvider(
  db: Db,
  accounts: AccountService,
  sealKey: Buffer,
  keys: KeySet,
  log: FastifyBaseLogger,
  options: OidcOptions,
): Promise<Provider> {
  const { Provider, interactionPolicy, errors } = await loadOidcProvider(log);
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  // Signing out of Lanyard (the portal, a revoked session) signs the browser out of apps' sign-ins too:
  // the provider's own session does not outlive the web session it was made from.
  login.checks.add(
    new interactionPolicy.Check('web_session', 'The Lanyard web session ended', async (ctx) => {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || ctx.oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return (await options.webSessionMatches(ctx, accountId))
        ? interactionPolicy.Check.NO_NEED_TO_PROMPT
        : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  // acr_values asking for a second factor: the sign-in page asks for it (when the person has one).
  login.checks.add(
    new interactionPolicy.Check('acr_values', 'A second factor was asked for', (ctx) => {
      const wanted = String(ctx.oidc.params?.['acr_values'] ?? '').split(' ');
      if (!wanted.includes(ACR.twoFactor) || ctx.oidc.result?.login || ctx.oidc.acr === ACR.twoFactor)
        return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      return interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );

  // oidc-provider shows native apps the consent page every time (RFC 8252 8.6: another app may claim
  // the same private-use scheme and the same client id). A first-party watch or TV in the device flow
  // is the exception: the person just confirmed it on /activate, with its code before their eyes.
  const nativePrompt = policy.get('consent')!.checks.get('native_client_prompt')!;
  const nativeCheck = nativePrompt.check;
  nativePrompt.check = async (ctx) => {
    if (ctx.oidc.route === 'device_resume' && (await options.firstParty(ctx.oidc.client!.clientId)))
      return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    return nativeCheck(ctx);
  };

  const configuration: Configuration = {
    adapter: databaseAdapter(db, sealKey),
    clients: [],
    jwks: { keys: keys.keys as never },
    cookies: {
      keys: [options.cookieKey.toString('base64url')],
      long: { secure: options.secureCookies },
      short: { secure: options.secureCookies },
    },
    scopes: OIDC_SCOPES,
    acrValues: [ACR.password, ACR.twoFactor],
    // The authorization code flow only; no implicit flow.
    responseTypes: ['code'],
    // Every ID token says how the person signed in (acr, amr), asked for or not.
    claims: {
      auth_time: null,
      sid: null,
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
      openid: ['sub', 'acr', 'amr'],
    },
    routes: OIDC_ROUTES,
    // PKCE (S256, the only method oidc-provider offers) for every app, confidential ones too (RFC 9700).
    pkce: { required: () => true },
    // In seconds. A consent (grant) lasts until revoked or a year unused; a session of the provider as
    // long as a Lanyard web session at most.
    ttl: {
      Interaction: 60 * 60,
      Session: 14 * 24 * 60 * 60,
      Grant: 365 * 24 * 60 * 60,
      AuthorizationCode: 60,
      AccessToken: 60 * 60,
      IdToken: 60 * 60,
      RefreshToken: 30 * 24 * 60 * 60,
      DeviceCode: 10 * 60,
    },
    // Every refresh rotates the refresh token; oidc-provider revokes the whole grant when a used one comes back.
    rotateRefreshToken: true,
    extraParams: [IMPLIED_CONSENT_PARAM],
    // An API token (JWT) names its grant, so that Lanyard's API refuses it once that grant ends (the
    // app revoked, or the web session it came through ended) even while another grant of the app lives.
    extraTokenClaims: async (_ctx, token) =>
      token.kind === 'AccessToken' && 'resourceServer' in token && token.resourceServer && token.grantId
        ? { [GRANT_CLAIM]: token.grantId }
        : undefined,
    extraClientMetadata: { properties: ['lanyard_api_scopes'] },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`, policy },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: {
        enabled: true,
        // A confidential app may introspect its own tokens; the maker's own services (first-party,
        // confidential) those of every app, as the resource servers they are. Public apps none.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' &&
          (token.clientId === client.clientId || (await options.firstParty(client.clientId))),
      },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: { enabled: true, ...options.logoutPages },
      backchannelLogout: { enabled: true },
      deviceFlow: { enabled: true, charset: 'base-20', mask: '****-****', ...options.deviceFlowPages },
      // Per app: dpop_bound_access_tokens and require_pushed_authorization_requests in its metadata.
      dPoP: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // An app asking for API scopes without naming the API gets tokens for it all the same.
        defaultResource: (ctx, _client, oneOf) =>
          oneOf ??
          (String(ctx.oidc.params?.['scope'] ?? '')
            .split(' ')
            .some((s) => (API_SCOPES as readonly string[]).includes(s))
            ? options.apiResource
            : undefined),
        useGrantedResource: () => true,
        // Lanyard's API takes JWT access tokens (RFC 9068) that it and the maker's services verify offline.
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== options.apiResource) throw new errors.InvalidTarget();
          // Only the API scopes staff registered the app for.
          const allowed = String((client as unknown as { lanyard_api_scopes?: string }).lanyard_api_scopes ?? '');
          return {
            scope: allowed,
            audience: options.apiResource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 15 * 60,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    // First-party apps (the maker's own) need no consent page: their grant is made as asked.
    async loadExistingGrant(ctx) {
      const clientId = ctx.oidc.client!.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!(await options.firstParty(clientId))) return existing;
      const grant = existing ?? new ctx.oidc.provider.Grant({ clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      if (ctx.oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {}))
        grant.addResourceScope(indicator, String(server.scope ?? ''));
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const account = await accounts.get(sub);
      if (!account || account.status !== 'active') return undefined;
      return {
        accountId: account.id,
        // Email and phone are verified by a code before they join an account.
        async claims() {
          return {
            sub: account.id,
            ...(account.name ? { name: account.name } : {}),
            locale: account.locale,
            ...(account.email ? { email: account.email, email_verified: true } : {}),
            ...(account.phone ? { phone_number: account.phone, phone_number_verified: true } : {}),
          };
        },
      };
    },
    // oidc-provider refuses to reach special-use addresses (SSRF protection). An app's URI that staff
    // registered on this very machine (http://localhost, 127.0.0.1: development) is let through; any
    // other host keeps the protection, also when its name resolves to a private address.
    fetch: (url, init) => {
      const loopback = LOOPBACK_HOSTS.has(new URL(url instanceof Request ? url.url : url).hostname);
      // `dispatcher` is undici's option to Node's fetch, which the DOM's RequestInit type does not name.
      return globalThis.fetch(url, loopback ? ({ ...init, dispatcher: undefined } as RequestInit) : init);
    },
    renderError: async (ctx, out) => {
      const locale = localeOf(ctx.oidc?.params?.ui_locales, ctx.get('accept-language'));
      const t = textOf(locale);
      ctx.set(PAGE_HEADERS);
      ctx.body = page(
        locale,
        t.errorTitle,
        card(
          t.errorHeading,
          `<p class="alert" role="alert">${escapeHtml(String(out.error_description ?? out.error))}</p>`,
        ),
      );
    },
  };
  const provider = new Provider(options.issuer, configuration);
  // Our routes set X-Forwarded-Host, -Proto and -For from LANYARD_BASE_URL and Fastify's own view of the
  // client (see routes.ts), overwriting what the client sent: the provider may trust them.
  provider.proxy = true;
  answerSlowDown(provider);
  keepOfflineAccess(provider);
  burnCodeOnFailedRedemption(provider);
  return provider;
}

/** Marks an authorization request whose prompt=consent we added (see keepOfflineAccess). */
export const IMPLIED_CONSENT_PARAM = 'lanyard_implied_consent';

/**
 * offline_access as OIDC Core (section 11) says: it needs prompt=consent "unless other conditions for
 * processing the request permitting offline access are in place", and oidc-provider drops it without.
 * Our condition: the person sees the consent page whenever their grant lacks offline_access, and has
 * said yes to it otherwise. So a request for it without prompt=consent gets prompt=consent added and
 * marked; the consent page then finishes by itself when nothing new is asked (interactions.ts).
 */
function keepOfflineAccess(provider: Provider): void {
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === OIDC_ROUTES.authorization) {
      const query = new URLSearchParams(ctx.querystring);
      const prompts = (query.get('prompt') ?? '').split(' ').filter(Boolean);
      const scopes = (query.get('scope') ?? '').split(' ');
      if (
        scopes.includes('offline_access') &&
        !prompts.includes('consent') &&
        !prompts.includes('none') &&
        !query.has('request_uri')
      ) {
        query.set('prompt', [...prompts, 'consent'].join(' '));
        query.set(IMPLIED_CONSENT_PARAM, '1');
        ctx.querystring = query.toString();
      }
    }
    await next();
  });
}

/**
 * An authorization code is good for one try: oidc-provider refuses a wrong code_verifier (or
 * redirect_uri) without consuming the code, which would let whoever holds an intercepted code try
 * again. Here a refused redemption consumes it, so the right verifier later finds it used, and
 * oidc-provider then revokes whatever was issued under its grant (RFC 9700 4.5.3.1, RFC 6749 4.1.2).
 */
function burnCodeOnFailedRedemption(provider: Provider): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || (ctx.body as { error?: string } | undefined)?.error !== 'invalid_grant') return;
    const params = ctx.oidc.params as { grant_type?: unknown; code?: unknown } | undefined;
    if (params?.grant_type !== 'authorization_code' || typeof params.code !== 'string') return;
    const code = await ctx.oidc.provider.AuthorizationCode.find(params.code, { ignoreExpiration: true }).catch(
      () => undefined,
    );
    if (code && !code.consumed && code.clientId === ctx.oidc.client?.clientId) await code.consume();
  });
}

/** How often a device may poll the token endpoint (RFC 8628: the interval oidc-provider announces). */
const DEVICE_POLL_INTERVAL_MS = 5_000;

/**
 * RFC 8628 slow_down, which oidc-provider leaves to its host: a device that polls again before the
 * interval gets slow_down instead of authorization_pending. The last poll of each device code is kept
 * in this process for the code's lifetime (10 minutes); behind a load balancer a device may be told
 * authorization_pending where one process would have said slow_down, which it handles the same way.
 */
function answerSlowDown(provider: Provider): void {
  const lastPoll = new Map<string, number>();
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string } | undefined;
    if (ctx.oidc?.route !== 'token' || body?.error !== 'authorization_pending') return;
    const deviceCode = (ctx.oidc.params as Record<string, unknown> | undefined)?.['device_code'];
    if (typeof deviceCode !== 'string') return;
    const key = createHash('sha256').update(deviceCode).digest('base64url');
    const now = Date.now();
    const previous = lastPoll.get(key);
    lastPoll.set(key, now);
    for (const [other, at] of lastPoll) if (now - at > 10 * 60_000) lastPoll.delete(other);
    if (previous !== undefined && now - previous < DEVICE_POLL_INTERVAL_MS) {
      ctx.body = { error: 'slow_down', error_description: 'Poll no more often than every 5 seconds' };
    }
  });
}
