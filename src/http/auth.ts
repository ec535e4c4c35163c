import type {} from '@fastify/cookie'; // request.cookies, for programs that do not load the server
import type { FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import type { StoredAccountRow } from '../db/schema.js';
import { allows, credentialsOf, type Access, type Credential } from './access.js';
import { AppError } from './errors.js';

export const SESSION_COOKIE = 'lanyard_session';
/**
 * The session cookie's name behind https: a `__Host-` cookie is taken by browsers only from this very
 * origin over TLS, with Path=/ and no Domain, so a sibling subdomain cannot plant a session of its own.
 */
export const HOST_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The session cookie's name for a server whose base URL is (or is not) https. */
export function sessionCookieName(secure: boolean): string {
  return secure ? HOST_SESSION_COOKIE : SESSION_COOKIE;
}
/** A password entered within this many milliseconds makes a session fresh (API.md: 10 minutes). */
export const FRESH_SESSION_MS = 10 * 60 * 1000;

/**
 * What authentication reads of the caller's account along with the session: what a guard checks and what
 * GET /v1/me answers, its sealed fields not opened.
 */
export type AuthAccount = Pick<
  StoredAccountRow,
  'id' | 'status' | 'role' | 'locale' | 'created_at' | 'email_sealed' | 'phone_sealed' | 'name_sealed'
>;

/** Who is calling: resolved from a bearer token or the session cookie. */
export interface AuthContext {
  accountId: string;
  sessionId: string;
  kind: 'web' | 'api' | 'device';
  role: 'user' | 'support' | 'admin';
  reauthenticatedAt: number;
  /** When the session was last used before this request (an app token: 0, it never reaches staff routes). */
  lastUsedAt: number;
  via: 'bearer' | 'cookie';
  tokenHash: string;
  /**
   * The account as read in the same statement as the session, its sealed fields not opened: a handler
   * that needs only this (GET /v1/me) makes no second query. Anything that changes the account reads it
   * again inside its own transaction.
   */
  account: AuthAccount;
  /** Set when the caller is an app with an OAuth access token: its client and the scopes it holds. */
  app?: { clientId: string; scopes: string[] };
}

/** What the HTTP layer needs from the sessions feature to authenticate a request. */
export interface Authenticator {
  /**
   * The caller of a session or device token. `uncached`: read from the database, not from what this
   * process keeps of earlier checks (staff routes, whose idle rule needs the last use as written).
   */
  authenticate(token: string, options?: { uncached?: boolean }): Promise<Omit<AuthContext, 'via'> | undefined>;
  csrfTokenFor(tokenHash: string): string;
  csrfTokenMatches(tokenHash: string, presented: string): boolean;
  isFresh(auth: AuthContext): boolean;
  /**
   * What staff routes ask beyond the role: a second factor enrolled and a session used within the last
   * 30 minutes (an idle one ends). Throws the refusal.
   */
  checkStaff(auth: AuthContext): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | undefined;
  }
  interface FastifyContextConfig {
    /** The OAuth scopes (API.md) that let an app's access token reach this route; none: no app token does. */
    scopes?: readonly string[] | ScopesByParam;
    /**
     * The problem statuses this route answers beyond the ones every route of its kind declares (400, and
     * 401/403 when guarded, 404 with a path parameter, 409 on changes…), so the document lists them.
     */
    problems?: readonly number[];
  }
}

/**
 * Scopes that depend on a path parameter, for a route that serves several things: the cloud's
 * `/v1/cloud/{collection}` reaches photos with `cloud.photos:read`, contacts with `cloud.contacts:read`,
 * and no other collection with any scope.
 */
export interface ScopesByParam {
  param: string;
  of: Readonly<Record<string, readonly string[]>>;
}

/** The scopes that let an app's token reach this request (its route's, for its parameters). */
function scopesWanted(request: FastifyRequest): readonly string[] {
  const declared = request.routeOptions.config.scopes;
  if (declared === undefined) return [];
  if (Array.isArray(declared)) return declared;
  const { param, of } = declared as ScopesByParam;
  const value = (request.params as Record<string, unknown> | undefined)?.[param];
  return typeof value === 'string' && Object.hasOwn(of, value) ? of[value]! : [];
}

/** What an app's OAuth access token (a JWT from the OpenID provider) stands for. */
export interface ClientAppTokenContext {
  account: StoredAccountRow;
  clientId: string;
  scopes: string[];
  tokenId: string;
}

/** An app's access token as the request presented it: Bearer, or DPoP (RFC 9449) with its proof. */
export interface PresentedAppToken {
  token: string;
  scheme: 'Bearer' | 'DPoP';
  /** The request's DPoP header: a proof signed by the key the token is bound to. */
  proof: string | undefined;
  method: string;
  /** The request's path, without its query. */
  path: string;
}

/** Verifies apps' access tokens (the apps feature provides it). */
export interface AppTokenAuthenticator {
  verify(presented: PresentedAppToken): Promise<ClientAppTokenContext | undefined>;
}

const APP_TOKEN = /^(Bearer|DPoP) ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * An app's access token (RFC 6750, RFC 9068): it reaches only the routes that declare one of its scopes
 * (route config `scopes`), as an account caller without staff power or freshness; elsewhere it gets 403
 * insufficient_scope, and a bad token 401, each with the WWW-Authenticate header an OAuth client reads.
 */
async function authenticateAppToken(
  appTokens: AppTokenAuthenticator | undefined,
  presented: PresentedAppToken,
  reply: FastifyReply,
  wanted: readonly string[],
): Promise<AuthContext> {
  const { scheme } = presented;
  const scopeParam = wanted.length > 0 ? `, scope="${wanted.join(' ')}"` : '';
  const found = appTokens ? await appTokens.verify(presented) : undefined;
  if (!found) {
    reply.header(
      'www-authenticate',
      `${scheme} error="invalid_token", error_description="The access token${scheme === 'DPoP' ? ' or its DPoP proof' : ''} is not valid or has expired"`,
    );
    throw new AppError('unauthenticated', 'The access token is not valid or has expired');
  }
  if (!wanted.some((scope) => found.scopes.includes(scope))) {
    reply.header('www-authenticate', `${scheme} error="insufficient_scope"${scopeParam}`);
    throw new AppError(
      'insufficient_scope',
      wanted.length > 0
        ? `This needs an access token with the scope ${wanted.join(' or ')}`
        : "An app's access token cannot do this; use an account session",
    );
  }
  return {
    accountId: found.account.id,
    sessionId: `app:${found.tokenId}`,
    kind: 'api',
    role: 'user',
    // Never fresh: nothing that needs a password typed just now is an app's to do.
    reauthenticatedAt: 0,
    lastUsedAt: 0,
    via: 'bearer',
    tokenHash: '',
    account: found.account,
    app: { clientId: found.clientId, scopes: found.scopes },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function tokenFrom(
  request: FastifyRequest,
  cookieName: string,
): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header);
    if (!match?.[1]) throw new AppError('unauthenticated', 'The Authorization header must be "Bearer <token>"');
    return { token: match[1], via: 'bearer' };
  }
  // Only the cookie of this server's kind: behind https a plain one could have been planted.
  const cookieToken = request.cookies?.[cookieName];
  if (cookieToken) return { token: cookieToken, via: 'cookie' };
  return undefined;
}

/** A guard: a Fastify hook that lets in only the callers its access level allows (see ./access.ts). */
export type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  readonly access: Exclude<Access, 'anonymous'>;
};

function isGuard(value: unknown): value is Guard {
  return typeof value === 'function' && typeof (value as Partial<Guard>).access === 'string';
}

/**
 * Route guards, one per access level, all written by `guardFor`. A route declares what it needs by naming
 * one, `preHandler: guards.account`, or by `config: { access: 'account' }`; `enforceDeclaredAccess` then
 * runs it first of all (see there) and records the level in the OpenAPI document.
 */
export function createGuards(
  authenticator: Authenticator,
  options: { secureCookies?: boolean; appTokens?: AppTokenAuthenticator } = {},
) {
  const cookieName = sessionCookieName(options.secureCookies ?? false);
  const { appTokens } = options;
  /** Who calls: sets request.auth from the bearer token or the cookie (with its CSRF token), or refuses. */
  const identify = async (request: FastifyRequest, reply: FastifyReply, staff: boolean): Promise<AuthContext> => {
    // An app's access token reaches only the routes that declare one of its scopes, as a plain account.
    // A session or device token has no dot; only a JWT is worth the pattern.
    const authorization = request.headers.authorization;
    const appToken = authorization?.includes('.') ? APP_TOKEN.exec(authorization) : null;
    if (appToken) {
      const proof = request.headers.dpop;
      const presented: PresentedAppToken = {
        token: appToken[2]!,
        scheme: appToken[1] as PresentedAppToken['scheme'],
        proof: typeof proof === 'string' ? proof : undefined,
        method: request.method,
        path: request.url.split('?')[0]!,
      };
      request.auth = await authenticateAppToken(appTokens, presented, reply, scopesWanted(request));
      return request.auth;
    }
    const presented = tokenFrom(request, cookieName);
    if (!presented) throw new AppError('unauthenticated');
    const found = await authenticator.authenticate(presented.token, staff ? { uncached: true } : undefined);
    if (!found) throw new AppError('unauthenticated', 'The session has ended or the token is not valid; sign in again');
    const auth: AuthContext = { ...found, via: presented.via };
    // Cookies ride along on cross-site requests; a state change by cookie must prove it came from our page.
    if (auth.via === 'cookie' && !SAFE_METHODS.has(request.method)) {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !authenticator.csrfTokenMatches(auth.tokenHash, csrf)) {
        throw new AppError('csrf_failed', 'Send the CSRF token from GET /v1/session in the X-CSRF-Token header');
      }
    }
    request.auth = auth;
    return auth;
  };
  const guardFor = (access: Exclude<Access, 'anonymous'>): Guard => {
    const staff = access === 'support' || access === 'admin';
    const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const auth = await identify(request, reply, staff);
      const held = credentialsOf(auth, authenticator.isFresh(auth));
      if (!allows(access, held)) throw refusal(access, held);
      if (staff) await authenticator.checkStaff(auth);
    };
    return Object.assign(guard, { access });
  };
  const guards = {
    /** A device token only: the device itself, its commands, its sign-out. */
    device: guardFor('device'),
    /** A device token or an account session (the cloud, which devices sync and people browse). */
    accountOrDevice: guardFor('accountOrDevice'),
    /** An account session (browser or API client), never a device token. */
    account: guardFor('account'),
    /** An account session whose password (or second factor) was given in the last 10 minutes. */
    fresh: guardFor('fresh'),
    /** Staff with the support role or above, by an account session. */
    support: guardFor('support'),
    /** Staff with the admin role, by an account session. */
    admin: guardFor('admin'),
  };
  return {
    ...guards,
    /** The older name of accountOrDevice; new routes name what they need instead. */
    session: guards.accountOrDevice,
    /** The older name of support. */
    staff: guards.support,
    /** The guard of an access level (undefined: anonymous). */
    of(access: Access): Guard | undefined {
      return access === 'anonymous' ? undefined : guards[access];
    },
  };
}

/** Why a caller that holds these credentials is refused at this access level. */
function refusal(access: Exclude<Access, 'anonymous'>, held: readonly Credential[]): AppError {
  if (held.includes('device'))
    return new AppError('forbidden', "A device token does the device's own work only; use an account session");
  switch (access) {
    case 'device':
      return new AppError('forbidden', 'This needs a device token (from POST /v1/devices)');
    case 'fresh':
      return new AppError(
        'reauthentication_required',
        'Enter your password again (POST /v1/session/reauth) to continue',
      );
    case 'support':
      return new AppError('forbidden', 'Only staff may do this');
    case 'admin':
      return new AppError('forbidden', 'Only an admin may do this');
    default:
      return new AppError('forbidden');
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs (./access.ts); set from its guard when it names one. */
    access?: Access;
  }
}

/**
 * Makes every route's declared access the one enforced and documented. For each route: the guard it
 * names in preHandler (or the one its `config.access` names) runs as its first onRequest hook instead,
 * and the level goes to `config.access` and to the OpenAPI operation as `x-access`; a route that names
 * none is `anonymous`. Running before the body is parsed and validated means an unauthorized caller
 * learns nothing from validation errors and costs no parsing, and the credential table test sees the
 * guard's answer whatever the body. Add it before the first route.
 */
export function enforceDeclaredAccess(
  app: { addHook(name: 'onRoute', hook: (route: RouteOptions) => void): unknown },
  guards: Guards,
): void {
  app.addHook('onRoute', (route) => {
    const preHandlers = toArray(route.preHandler);
    const onRequest = toArray(route.onRequest);
    const named = [...onRequest, ...preHandlers].filter(isGuard);
    const declared = new Set<Access>([
      ...named.map((guard) => guard.access),
      ...(route.config?.access ? [route.config.access] : []),
    ]);
    if (declared.size > 1)
      throw new Error(`${route.method} ${route.url} declares more than one access level: ${[...declared].join(', ')}`);
    const access: Access = declared.values().next().value ?? 'anonymous';
    const guard = guards.of(access);
    // New arrays: Fastify's HEAD twin of a GET route shares the original ones.
    route.preHandler = preHandlers.filter((hook) => !isGuard(hook));
    route.onRequest = [...(guard ? [guard] : []), ...onRequest.filter((hook) => !isGuard(hook))];
    route.config = { ...route.config, access };
    if (route.schema) (route.schema as Record<string, unknown>)['x-access'] = access;
    else route.schema = { 'x-access': access } as FastifySchema;
  });
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

export type Guards = ReturnType<typeof createGuards>;

/** The authenticated caller; only call behind a guard. */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('unauthenticated');
  return request.auth;
}

/** The caller's client description, as shown in session lists and security events. */
export function clientOf(request: FastifyRequest): string {
  const agent = request.headers['user-agent'];
  return typeof agent === 'string' && agent.length > 0 ? agent.slice(0, 200) : 'unknown';
}
