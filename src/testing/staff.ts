import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import type { Api } from './api-types.js';
import { uniqueEmail, type TestApp } from './test-app.js';

/** A staff member signed in through the API, with the authenticator app that staff routes require. */
export interface StaffMember {
  id: string;
  email: string;
  password: string;
  /** A bearer session (the one that enrolled the authenticator app). */
  token: string;
  /** The authenticator app's secret, to answer the second step of a later sign-in. */
  totpSecret: string;
  role: 'support' | 'admin';
}

/** The code an authenticator app shows now, by the server's (test) clock. */
export function totpCode(t: TestApp, secret: string): Promise<string> {
  return generate({ secret, epoch: Math.floor(t.clock.now() / 1000) });
}

/**
 * Enrols an authenticator app on a session that is fresh (just signed in), as its owner would in the
 * portal; returns its secret.
 */
export async function enrolTotp(t: TestApp, token: string): Promise<string> {
  const started = await t.request<{ secret: string }>('POST', '/v1/me/totp', { token });
  assert.equal(started.status, 201, started.text);
  const confirmed = await t.request('POST', '/v1/me/totp/confirm', {
    token,
    body: { code: await totpCode(t, started.body.secret) },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  return started.body.secret;
}

/**
 * Makes a staff member as `lanyard admin create` does, signs in through POST /v1/sessions and enrols an
 * authenticator app: what every staff member must have before staff routes let them in.
 */
export async function createStaffMember(
  t: TestApp,
  role: 'support' | 'admin',
  options: { email?: string; password?: string; ip?: string } = {},
): Promise<StaffMember> {
  const email = options.email ?? uniqueEmail(role);
  const password = options.password ?? `staff passphrase ${randomBytes(6).toString('hex')}`;
  const { id } = await t.app.services.accounts.createStaff({ email, password, role });
  const signedIn = await t.request<{ token: string }>('POST', '/v1/sessions', {
    body: { login: email, password },
    ...(options.ip ? { ip: options.ip } : {}),
  });
  assert.equal(signedIn.status, 201, signedIn.text);
  const totpSecret = await enrolTotp(t, signedIn.body.token);
  return { id, email, password, token: signedIn.body.token, totpSecret, role };
}

/**
 * Signs a staff member in again: the password, then the authenticator app's code; the new token is also
 * written into `staff`. An authenticator code is good once: when this step's code was used already, the
 * test waits (moves the clock) for the next one, as a person would.
 */
export async function signInStaff(t: TestApp, staff: StaffMember): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const first = await t.request<{ secondFactor: { challengeId: string } }>('POST', '/v1/sessions', {
      body: { login: staff.email, password: staff.password },
    });
    assert.equal(first.status, 200, first.text);
    const second = await t.request<{ token: string; code?: string }>('POST', '/v1/sessions/second-factor', {
      body: {
        challengeId: first.body.secondFactor.challengeId,
        method: 'totp',
        code: await totpCode(t, staff.totpSecret),
      },
    });
    if (second.status === 400 && second.body.code === 'two_step.code_invalid' && attempt === 0) {
      t.clock.advance(30_000);
      continue;
    }
    assert.equal(second.status, 201, second.text);
    staff.token = second.body.token;
    return staff.token;
  }
}

type Request = TestApp['request'];

/**
 * Requests as a staff member. When the test moved the clock past the 30 minutes after which an idle staff
 * session ends (staff.session_idle), the staff member signs in again, as the console would ask them to,
 * and the request is made again.
 */
export function asStaff(t: TestApp, staff: StaffMember): Request {
  return (async (method: string, url: string, options: Parameters<Request>[2] = {}) => {
    const answer = await t.request<Partial<Api<'Problem'>> | undefined>(method, url, {
      ...options,
      token: staff.token,
    });
    if (answer.status !== 401 || answer.body?.code !== 'staff.session_idle') return answer;
    await signInStaff(t, staff);
    return t.request(method, url, { ...options, token: staff.token });
  }) as Request;
}
