import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** An API answer that was not a success, as problem+json (RFC 9457) describes it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

/** Thrown by every client call whose answer is not 2xx; pages translate it by `problem.code`. */
export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.code);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

// The CSRF token belongs to the session cookie (HttpOnly, so not readable here); GET /v1/session
// tells it. It is asked once per session and forgotten whenever the session changes.
let csrfToken: string | undefined;
let csrfPending: Promise<string | undefined> | undefined;

export function forgetCsrfToken(): void {
  csrfToken = undefined;
  csrfPending = undefined;
}

async function currentCsrfToken(): Promise<string | undefined> {
  if (csrfToken) return csrfToken;
  csrfPending ??= fetch('/v1/session', { credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) return undefined;
      const body = (await response.json()) as { csrfToken?: string };
      csrfToken = body.csrfToken;
      return csrfToken;
    })
    .catch(() => undefined)
    .finally(() => {
      csrfPending = undefined;
    });
  return csrfPending;
}

/** Adds X-CSRF-Token to state changes and turns problem+json answers into ApiError. */
export const csrfAndProblems: Middleware = {
  async onRequest({ request, schemaPath }) {
    // Signing in or up, and recovery, come before any session: they need no token.
    if (SAFE.has(request.method) || schemaPath === '/v1/sessions' || schemaPath.startsWith('/v1/signup') || schemaPath.startsWith('/v1/recovery')) return request;
    const token = await currentCsrfToken();
    if (token) request.headers.set('x-csrf-token', token);
    return request;
  },
  async onResponse({ response }) {
    if (response.ok) return response;
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      const body = (await response.clone().json()) as Partial<Problem>;
      if (body.code === 'csrf_failed' || body.code === 'unauthenticated') forgetCsrfToken();
      throw new ApiError({ ...body, status: response.status, code: body.code ?? 'unknown' });
    }
    throw new ApiError({ status: response.status, code: response.status >= 500 ? 'server_error' : 'unknown' });
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(csrfAndProblems);

/** The body of a successful answer (errors were thrown by the middleware). */
export function ok<T>(result: { data?: T; error?: unknown }): T {
  return result.data as T;
}
