import assert from 'node:assert/strict';
import type { TestApp } from './test-app.js';

/**
 * Enters the password again (POST /v1/session/reauth) with a bearer session: the session is replaced by a
 * fresh one, whose token is written back into `account` (the old one no longer works). Returns it.
 */
export async function reauthenticate(
  t: TestApp,
  account: { token: string; password: string },
  password = account.password,
): Promise<string> {
  const answer = await t.request<{ token: string; freshUntil: string }>('POST', '/v1/session/reauth', {
    token: account.token,
    body: { password },
  });
  assert.equal(answer.status, 200, answer.text);
  account.token = answer.body.token;
  return account.token;
}
