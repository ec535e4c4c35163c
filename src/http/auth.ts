import type {} from '@fastify/cookie'; // request.cookies, for programs that do not load the server
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRow } from '../db/schema.js';
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

/** Who is calling: resolved from a bearer token or the session cookie. */
export interface AuthContext {
  accountId: string;
  sessionId: string;
  kind: 'web' | 'api' | 'device';
  role: 'user' | 'support' | 'admin';
  reauthenticatedAt: number;
  via: 'bearer' | 'cookie';
  tokenHash: string;
  /**
   * The account as read in the same statement as the session, its sealed fields not opened: a handler
   * that needs only this (GET /v1/me) makes no second query. Anything that changes the account reads it
   * again inside its own transaction.
   */
  account: AccountRow;
  /** Set when the caller is an app with an OAuth access token: its client and the scopes it holds. */
  app?: { clientId: string; scopes: string[] };
}

/** What the HTTP layer needs from the sessions feature to authenticate a request. */
export interface Authenticator {
  authenticate(token: string): Promise<Omit<AuthContext, 'via'> | undefined>;
  csrfTokenFor(tokenHash: string): string;
  csrfTokenMatches(tokenHash: string, presented: string): boolean;
  isFresh(auth: AuthContext): boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | undefined;
  }
  interface FastifyContextConfig {
    /** The OAuth scopes (API.md) that let an app's access token reach this route; none: no app token does. */
    scopes?: readonly string[];
  }
}

/** What an app's OAuth access token (a JWT from the OpenID provider) stands for. */
export interface AppTokenContext {
  account: AccountRow;
  clientId: string;
  scopes: string[];
  tokenId: string;
}

/** Verifies apps' access tokens (the apps feature provides it). */
export interface AppTokenAuthenticator {
  verify(token: string): Promise<AppTokenContext | undefined>;
}

const APP_TOKEN = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * An app's access token (RFC 6750, RFC 9068): it reaches only the routes that declare one of its scopes
 * (route config `scopes`), as an account caller without staff power or freshness; elsewhere it gets 403
 * insufficient_scope, and a bad token 401, each with the WWW-Authenticate header an OAuth client reads.
 */
async function authenticateAppToken(appTokens: AppTokenAuthenticator | undefined, token: string, request: FastifyRequest, reply: FastifyReply): Promise<AuthContext> {
  const wanted = request.routeOptions.config.scopes ?? [];
  const scopeParam = wanted.length > 0 ? `, scope="${wanted.join(' ')}"` : '';
  const found = appTokens ? await appTokens.verify(token) : undefined;
  if (!found) {
    reply.header('www-authenticate', `Bearer error="invalid_token", error_description="The access token is not valid or has expired"`);
    throw new AppError('unauthenticated', 'The access token is not valid or has expired');
  }
  if (!wanted.some((scope) => found.scopes.includes(scope))) {
    reply.header('www-authenticate', `Bearer error="insufficient_scope"${scopeParam}`);
    throw new AppError('insufficient_scope', wanted.length > 0 ? `This needs an access token with the scope ${wanted.join(' or ')}` : 'An app\'s access token cannot do this; use an account session');
  }
  return {
    accountId: found.account.id,
    sessionId: `app:${found.tokenId}`,
    kind: 'api',
    role: 'user',
    // Never fresh: nothing that needs a password typed just now is an app's to do.
    reauthenticatedAt: 0,
    via: 'bearer',
    tokenHash: '',
    account: found.account,
    app: { clientId: found.clientId, scopes: found.scopes },
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function tokenFrom(request: FastifyRequest, cookieName: string): { token: string; via: 'bearer' | 'cookie' } | undefined {
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

/** Route guards, built once from the Authenticator and attached as preHandlers. */
export function createGuards(authenticator: Authenticator, options: { secureCookies?: boolean; appTokens?: AppTokenAuthenticator } = {}) {
  const cookieName = sessionCookieName(options.secureCookies ?? false);
  const { appTokens } = options;
  const session = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const appToken = APP_TOKEN.exec(request.headers.authorization ?? '')?.[1];
    if (appToken) {
      request.auth = await authenticateAppToken(appTokens, appToken, request, reply);
      return;
    }
    const presented = tokenFrom(request, cookieName);
    if (!presented) throw new AppError('unauthenticated');
    const found = await authenticator.authenticate(presented.token);
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
  };
  const fresh = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await session(request, reply);
    if (!authenticator.isFresh(request.auth!)) {
      throw new AppError('reauthentication_required', 'Enter your password again (POST /v1/session/reauth) to continue');
    }
  };
  const staff = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await session(request, reply);
    if (request.auth!.role === 'user') throw new AppError('forbidden', 'Only staff may do this');
  };
  // The vocabulary every route declares its access with (one per kind of credential). The security
  // work tightens what each one lets in; routes keep naming them the same way.
  /** An account session (browser or API client), never a device token. */
  const account = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await session(request, reply);
    if (request.auth!.kind === 'device') throw new AppError('forbidden', 'A device token cannot do this; use an account session');
  };
  /** A device token: the device's own work (sync, commands, its own sign-out). */
  const device = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await session(request, reply);
    if (request.auth!.kind !== 'device') throw new AppError('forbidden', 'This needs a device token (from POST /v1/devices)');
  };
  /** Either an account session or a device token (the cloud, which devices sync and people browse). */
  const accountOrDevice = session;
  /** Staff with the support role or above. */
  const support = staff;
  /** Staff with the admin role. */
  const admin = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    await session(request, reply);
    if (request.auth!.role !== 'admin') throw new AppError('forbidden', 'Only an admin may do this');
  };
  return { session, fresh, staff, account, device, accountOrDevice, support, admin };
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
