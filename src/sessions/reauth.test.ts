import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SESSION_COOKIE } from '../http/auth.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const STALE = 10 * 60_000 + 1;

for (const database of testDatabases()) {
  describe(`fresh sessions and re-authentication (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('what hands the account over answers 403 reauthentication_required to a stale session, and works once the password is given again', async () => {
      const account = await t.signUp();
      t.clock.advance(STALE);
      const stale = account.token;
      const handOvers: Array<[string, string, unknown?]> = [
        ['POST', '/v1/me/email', { email: 'someone-else@example.com' }],
        ['POST', '/v1/me/phone', { phone: '+34600000001' }],
        ['POST', '/v1/me/password', { currentPassword: account.password, newPassword: 'another long passphrase' }],
        ['DELETE', '/v1/sessions/others'],
        ['POST', '/v1/me/export'],
        ['POST', '/v1/me/deletion', { confirm: 'x', channel: 'email' }],
      ];
      for (const [method, url, body] of handOvers) {
        assertProblem(
          await t.request(method, url, { token: stale, ...(body ? { body } : {}) }),
          403,
          'reauthentication_required',
          `${method} ${url}`,
        );
      }
      const fresh = await t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
        token: stale,
        body: { password: account.password },
      });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.headers['cache-control'], 'no-store');
      assert.notEqual(fresh.body.token, stale);
      assert.equal(Date.parse(fresh.body.freshUntil), t.clock.now() + 10 * 60_000);
      assertProblem(
        await t.request('GET', '/v1/me', { token: stale }),
        401,
        'unauthenticated',
        'the old token stops working',
      );
      assertProblem(
        await t.request('POST', '/v1/session/reauth', { token: stale, body: { password: account.password } }),
        401,
        'unauthenticated',
      );
      assert.equal((await t.request('DELETE', '/v1/sessions/others', { token: fresh.body.token })).status, 204);
      assert.equal((await t.request('POST', '/v1/me/export', { token: fresh.body.token })).status, 202);
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: fresh.body.token }))
        .body.events;
      assert.ok(events.some((e) => e.type === 'session.reauthenticated'));
    });

    test('a cookie session gets a new cookie and CSRF token; the old cookie stops working', async () => {
      const account = await t.signUp();
      const web = await t.request('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'web' },
      });
      const cookieOf = (headers: Record<string, unknown>) =>
        [headers['set-cookie'] ?? []]
          .flat()
          .map(String)
          .find((c) => c.startsWith(`${SESSION_COOKIE}=`))!
          .slice(SESSION_COOKIE.length + 1)
          .split(';')[0]!;
      const oldCookie = cookieOf(web.headers);
      const csrf = (
        await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { cookies: { [SESSION_COOKIE]: oldCookie } })
      ).body.csrfToken;
      t.clock.advance(STALE);
      const cookies = { [SESSION_COOKIE]: oldCookie };
      assertProblem(
        await t.request('POST', '/v1/session/reauth', { cookies, body: { password: account.password } }),
        403,
        'csrf_failed',
      );
      const fresh = await t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
        cookies,
        headers: { 'x-csrf-token': csrf },
        body: { password: account.password },
      });
      assert.equal(fresh.status, 200, fresh.text);
      assert.equal(fresh.body.token, undefined, 'the token stays in the HttpOnly cookie');
      const newCookie = cookieOf(fresh.headers);
      assert.notEqual(newCookie, oldCookie);
      assertProblem(await t.request('GET', '/v1/session', { cookies }), 401, 'unauthenticated');
      const session = await t.request<Api<'CurrentSession'>>('GET', '/v1/session', {
        cookies: { [SESSION_COOKIE]: newCookie },
      });
      assert.equal(session.body.fresh, true);
      assert.equal(session.body.csrfToken, fresh.body.csrfToken);
      const renamed = await t.request('PATCH', '/v1/me', {
        cookies: { [SESSION_COOKIE]: newCookie },
        headers: { 'x-csrf-token': session.body.csrfToken },
        body: { name: 'Fresh' },
      });
      assert.equal(renamed.status, 200, renamed.text);
    });

    test('re-authentication is rate-limited per account, right passwords included', async () => {
      const account = await t.signUp();
      let token = account.token;
      for (let i = 0; i < 10; i++) {
        const answer = await t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
          token,
          body: { password: account.password },
          ip: `10.77.0.${i}`,
        });
        assert.equal(answer.status, 200, answer.text);
        assert.ok(answer.body.token, 'a bearer session is answered with its new token');
        token = answer.body.token;
      }
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/session/reauth', {
        token,
        body: { password: account.password },
        ip: '10.77.1.1',
      });
      assertProblem(refused, 429, 'rate_limited');
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await t.request('GET', '/v1/me', { token })).status, 200, 'the refused attempt ended nothing');
    });

    test('a device token cannot re-authenticate nor do what needs a fresh session', async () => {
      const account = await t.signUp();
      const device = (
        await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
          token: account.token,
          body: { serial: `RE-${Date.now()}`, model: 'M', name: 'N', kind: 'phone' },
        })
      ).body.deviceToken;
      assertProblem(
        await t.request('POST', '/v1/session/reauth', { token: device, body: { password: account.password } }),
        403,
        'forbidden',
      );
      assertProblem(
        await t.request('POST', '/v1/me/email', { token: device, body: { email: 'thief@example.com' } }),
        403,
        'forbidden',
      );
      assertProblem(await t.request('GET', '/v1/sessions', { token: device }), 403, 'forbidden');
    });
  });
}
