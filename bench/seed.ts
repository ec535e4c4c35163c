import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BenchAccount {
  email: string;
  password: string;
  /** A bearer token from sign-up. */
  token: string;
}

export const BENCH_USER_AGENT = 'lanyard-bench/1';

async function call(baseUrl: string, method: string, route: string, body?: unknown, token?: string): Promise<unknown> {
  const headers: Record<string, string> = { 'user-agent': BENCH_USER_AGENT };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response = await fetch(new URL(route, baseUrl), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // A server that has just started on a busy machine may shed load (503 with Retry-After) for a moment:
  // wait as it asks, a few times, rather than fail the whole part.
  for (let retry = 0; response.status === 503 && response.headers.has('retry-after') && retry < 6; retry++) {
    await sleep(Number(response.headers.get('retry-after')) * 1000);
    response = await fetch(new URL(route, baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Waits for the sign-up code the job worker writes to the dev outbox (it delivers within about a second). */
async function codeFromOutbox(dataDir: string, email: string): Promise<string> {
  const file = path.join(dataDir, 'outbox.jsonl');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        const message = JSON.parse(line) as { to: string; text: string };
        const code = message.to === email ? /\b(\d{6})\b/.exec(message.text)?.[1] : undefined;
        if (code) return code;
      }
    }
    await sleep(100);
  }
  throw new Error(`no sign-up code for ${email} reached ${file} within 20 s`);
}

/** Makes an account the way a person does: POST /v1/signup, the code from the outbox, POST /v1/signup/complete. */
export async function signUp(baseUrl: string, dataDir: string, index: number): Promise<BenchAccount> {
  const email = `bench-${index}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `bench-${randomBytes(9).toString('base64url')}`;
  await call(baseUrl, 'POST', '/v1/signup', { email });
  const code = await codeFromOutbox(dataDir, email);
  const issued = (await call(baseUrl, 'POST', '/v1/signup/complete', { email, code, password, kind: 'api' })) as {
    token: string;
  };
  return { email, password, token: issued.token };
}

/** A fresh bearer token through sign-in, the way a device gets one. */
export async function signIn(baseUrl: string, account: BenchAccount): Promise<string> {
  const issued = (await call(baseUrl, 'POST', '/v1/sessions', {
    login: account.email,
    password: account.password,
    kind: 'api',
  })) as { token: string };
  return issued.token;
}

/** Checks that the token works before load is thrown at it, so that a run of 401s is never mistaken for speed. */
export async function checkMe(baseUrl: string, token: string): Promise<void> {
  const profile = (await call(baseUrl, 'GET', '/v1/me', undefined, token)) as { id?: string };
  if (!profile.id) throw new Error('GET /v1/me did not return a profile');
}
