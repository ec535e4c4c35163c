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

/** Re-authentication replaces the session cookie, and its answer carries the new cookie's CSRF token. */
export function setCsrfToken(token: string | undefined): void {
  csrfPending = undefined;
  csrfToken = token;
}

// The shared re-authentication prompt (mounted once by the shell). Every call that answers
// reauthentication_required waits on it, and is sent again once the person confirmed; calls that need it
// at the same moment share one prompt.
type ReauthPrompt = () => Promise<boolean>;
let reauthPrompt: ReauthPrompt | undefined;
let reauthPending: Promise<boolean> | undefined;

export function setReauthPrompt(prompt: ReauthPrompt | undefined): void {
  reauthPrompt = prompt;
}

/** Opens the shared prompt (or joins the one open); true once the person confirmed who they are. */
export function askForReauth(): Promise<boolean> {
  if (!reauthPrompt) return Promise.resolve(false);
  reauthPending ??= reauthPrompt().finally(() => {
    reauthPending = undefined;
  });
  return reauthPending;
}

// A copy of each request as sent, kept until its answer, so that it can be sent again after re-authentication
// (the original's body has been read by then).
const sentCopies = new Map<string, Request>();

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const body = (await response.clone().json()) as Partial<Problem>;
    return { ...body, status: response.status, code: body.code ?? 'unknown' };
  }
  return { status: response.status, code: response.status >= 500 ? 'server_error' : 'unknown' };
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

/**
 * Adds X-CSRF-Token to state changes, sends a call again after the shared re-authentication prompt when it
 * needs a fresh session, and turns problem+json answers into ApiError.
 */
export const csrfAndProblems: Middleware = {
  async onRequest({ request, schemaPath, id }) {
    // Signing in or up, and recovery, come before any session: they need no token.
    if (
      !(
        SAFE.has(request.method) ||
        schemaPath === '/v1/sessions' ||
        schemaPath.startsWith('/v1/sessions/second-factor') ||
        schemaPath.startsWith('/v1/signup') ||
        schemaPath.startsWith('/v1/recovery')
      )
    ) {
      const token = await currentCsrfToken();
      if (token) request.headers.set('x-csrf-token', token);
    }
    if (schemaPath !== '/v1/session/reauth') sentCopies.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const copy = sentCopies.get(id);
    sentCopies.delete(id);
    if (response.ok) return response;
    let problem = await problemOf(response);
    let answer = response;
    if (problem.code === 'reauthentication_required' && copy && (await askForReauth())) {
      // The new session has a new CSRF token: the copy carries the old one.
      if (csrfToken && copy.headers.has('x-csrf-token')) copy.headers.set('x-csrf-token', csrfToken);
      answer = await fetch(copy);
      if (answer.ok) return answer;
      problem = await problemOf(answer);
    }
    if (problem.code === 'csrf_failed' || problem.code === 'unauthenticated') forgetCsrfToken();
    throw new ApiError(problem);
  },
  onError({ id }) {
    sentCopies.delete(id);
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(csrfAndProblems);

/** The body of a successful answer (errors were thrown by the middleware). */
export function ok<T>(result: { data?: T; error?: unknown }): T {
  return result.data as T;
}
