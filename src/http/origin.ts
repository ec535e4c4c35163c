import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestOrigin } from '../events/service.js';
import { clientOf, SESSION_COOKIE } from './auth.js';

/** Where a request came from, as recorded in sessions and security events. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip, client: clientOf(request) };
}

/** A browser sends Sec-Fetch-* headers; such a caller gets a cookie session unless it asks otherwise. */
export function sessionKindOf(request: FastifyRequest, asked: 'web' | 'api' | undefined): 'web' | 'api' {
  if (asked) return asked;
  return request.headers['sec-fetch-mode'] !== undefined ? 'web' : 'api';
}

/** Sets the session cookie for web sessions: HttpOnly, SameSite=Lax, Secure behind TLS. */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
