import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientOf, sessionCookieName } from './auth.js';

/** Where a request came from: its IP address and client (User-Agent), as sessions and security events keep it. */
export interface RequestOrigin {
  ip: string;
  client: string;
}

/** Where a request came from, as recorded in sessions and security events. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, client: clientOf(request) };
}

/**
 * A browser sends Sec-Fetch-* headers; such a caller gets a cookie session unless it asks otherwise.
 * Both Mode and Site: Node's fetch (an API client) sends Sec-Fetch-Mode alone, and must get its token
 * in the body, which a web session no longer carries.
 */
export function sessionKindOf(request: FastifyRequest, asked: 'web' | 'api' | undefined): 'web' | 'api' {
  if (asked) return asked;
  return request.headers['sec-fetch-mode'] !== undefined && request.headers['sec-fetch-site'] !== undefined
    ? 'web'
    : 'api';
}

/** Sets the session cookie for web sessions: HttpOnly, SameSite=Lax, Secure and `__Host-` behind TLS. */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, secure: boolean): void {
  reply.setCookie(sessionCookieName(secure), token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(sessionCookieName(secure), { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/**
 * The answer to a sign-in: a web session's token travels only in its HttpOnly cookie, where page
 * scripts (an injected one included) cannot read it; API and device clients get it in the body.
 */
export function issuedBody<A>(
  kind: 'web' | 'api',
  account: A,
  session: { token: string; expiresAt: string },
): { account: A; token?: string; expiresAt: string } {
  return kind === 'web'
    ? { account, expiresAt: session.expiresAt }
    : { account, token: session.token, expiresAt: session.expiresAt };
}
