import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import type { RequestOptions, TestApp, TestResponse } from './test-app.js';

/**
 * An easy captcha for tests that solve many (sign-in after repeated failures): the same protocol and
 * solver, a smaller secret counter. Tests of the captcha itself keep the default difficulty.
 */
export const QUICK_CAPTCHA_ENV = { LANYARD_CAPTCHA_MAX_COUNTER: '8' } as const;

/** Solves a challenge with altcha-lib's own solver and encodes the payload as the ALTCHA widget submits it. */
export async function solveCaptcha(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error('altcha-lib could not solve the challenge');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** Fetches a challenge from GET /v1/captcha (from the given IP) and solves it, as a browser would. */
export async function solvedCaptcha(t: TestApp, ip?: string): Promise<string> {
  const served = await t.request<Challenge>('GET', '/v1/captcha', ip ? { ip } : {});
  if (served.status !== 200) throw new Error(`GET /v1/captcha failed: ${served.status} ${served.text}`);
  return solveCaptcha(served.body);
}

/**
 * POST /v1/sessions as a person makes it: when the server asks for a captcha (after repeated failures),
 * solve one and send the request again with it.
 */
export async function signInSolvingCaptcha<T = unknown>(
  t: TestApp,
  options: RequestOptions & { body: Record<string, unknown> },
): Promise<TestResponse<T>> {
  const first = await t.request<T>('POST', '/v1/sessions', options);
  if (first.status !== 400 || (first.body as { code?: string }).code !== 'captcha_required') return first;
  const captcha = await solvedCaptcha(t, options.ip);
  return t.request<T>('POST', '/v1/sessions', { ...options, body: { ...options.body, captcha } });
}
