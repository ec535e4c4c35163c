import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyBaseLogger } from 'fastify';
import type { Configuration, Provider } from 'oidc-provider';
import { openText, sealText } from '../crypto/sealing.js';
import type { AccountRepository } from '../accounts/repository.js';
import type { Db } from '../db/schema.js';
import { databaseAdapter } from './adapter.js';

/** The scopes an app may be registered for, and the claims each one releases. */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'locale'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  offline_access: [],
} as const;
export type Scope = keyof typeof SCOPE_CLAIMS;
export const SCOPES = Object.keys(SCOPE_CLAIMS) as Scope[];

/** Where the provider's endpoints live; discovery stays at /.well-known/openid-configuration. */
export const OIDC_ROUTES = {
  authorization: '/oauth/authorize',
  token: '/oauth/token',
  userinfo: '/oauth/userinfo',
  jwks: '/oauth/jwks',
  revocation: '/oauth/revoke',
  end_session: '/oauth/logout',
  pushed_authorization_request: '/oauth/par',
} as const;
export const INTERACTION_PATH = '/oauth/interaction';
/** Host names of this machine: app URIs there may use http (development), and pass the SSRF guard. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

const SIGNING_KEY_ID = 'signing-key-1';
const signingKeyAad = (id: string) => `oidc-signing-key/v1\u0000${id}`;

/**
 * The provider's signing key: created (RSA 2048, RS256, which every OpenID client supports) by the first
 * server to start, kept sealed in the database so that every process signs with the same key.
 */
async function loadOrCreateSigningKey(db: Db, sealKey: Buffer): Promise<Record<string, unknown>> {
  const read = () => db.selectFrom('oidc_signing_keys').select(['id', 'jwk_sealed']).where('id', '=', SIGNING_KEY_ID).executeTakeFirst();
  let row = await read();
  if (!row) {
    // Off the event loop: an RSA key takes 60 to 300 ms to find.
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    const sealed = sealText(sealKey, JSON.stringify({ ...jwk, kid: SIGNING_KEY_ID, alg: 'RS256', use: 'sig' }), signingKeyAad(SIGNING_KEY_ID));
    // Two servers starting at once: one insert wins and both read the winner's key.
    await db.insertInto('oidc_signing_keys').values({ id: SIGNING_KEY_ID, jwk_sealed: sealed, created_at: Date.now() }).onConflict((oc) => oc.column('id').doNothing()).execute();
    row = await read();
  }
  return JSON.parse(openText(sealKey, row!.jwk_sealed, signingKeyAad(row!.id))) as Record<string, unknown>;
}

/**
 * Loads oidc-provider with its load-time warnings sent to our log instead of stderr. It warns once,
 * at load, that it wants Node.js 22; this project runs on the Node.js 20 of its machines, where every
 * test of the flow passes (see the closing note of the apps work).
 */
async function loadOidcProvider(log: FastifyBaseLogger): Promise<typeof import('oidc-provider')> {
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
}

/**
 * The OpenID Connect provider: oidc-provider, an OpenID Certified implementation, on our database.
 * Sign-in and consent happen on our own pages (INTERACTION_PATH), with the Lanyard web session.
 */
export async function createOidcProvider(db: Db, accounts: AccountRepository, sealKey: Buffer, log: FastifyBaseLogger, options: OidcOptions): Promise<Provider> {
  const { Provider } = await loadOidcProvider(log);
  const signingKey = await loadOrCreateSigningKey(db, sealKey);
  const configuration: Configuration = {
    adapter: databaseAdapter(db, sealKey),
    clients: [],
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [options.cookieKey.toString('base64url')], long: { secure: options.secureCookies }, short: { secure: options.secureCookies } },
    scopes: SCOPES,
    // The authorization code flow only (with PKCE for apps that send it); no implicit flow.
    responseTypes: ['code'],
    claims: Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
    routes: OIDC_ROUTES,
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
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      // Apps that registered a back-channel logout URI are told when a person's account is deleted.
      backchannelLogout: { enabled: true },
    },
    // Apps ask for offline_access to get refresh tokens; they are issued only with the person's consent.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
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
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><h1>This sign-in cannot go on</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p></body></html>`;
    },
  };
  const provider = new Provider(options.issuer, configuration);
  // Our routes set X-Forwarded-Host, -Proto and -For from LANYARD_BASE_URL and Fastify's own view of the
  // client (see routes.ts), overwriting what the client sent: the provider may trust them.
  provider.proxy = true;
  return provider;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
