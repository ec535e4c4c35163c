import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, uniquePhone, type TestApp } from '../testing/test-app.js';
import { reauthenticate } from '../testing/reauth.js';
import { assertProblem } from '../testing/problems.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const DAY = 86_400_000;

for (const database of testDatabases()) {
  describe(`sessions (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('signs in with the email, the phone or the account id', async () => {
      const phone = uniquePhone();
      const account = await t.signUp({ phone });
      for (const login of [phone, `${phone.slice(0, 3)} ${phone.slice(3)}`, account.id]) {
        const signIn = await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login, password: account.password },
        });
        assert.equal(signIn.status, 201, `login ${login}: ${signIn.text}`);
        assert.equal(signIn.body.account.id, account.id);
        assert.equal(
          (await t.request<Api<'Account'>>('GET', '/v1/me', { token: signIn.body.token })).body.phone,
          phone,
        );
      }
      const byEmail = await t.signUp();
      const signIn = await t.request('POST', '/v1/sessions', {
        body: { login: byEmail.email!.toUpperCase(), password: byEmail.password },
      });
      assert.equal(signIn.status, 201);
    });

    test('a wrong password and an unknown login get the same 401', async () => {
      const account = await t.signUp();
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login: account.email, password: 'not the password' },
      });
      const unknown = await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login: 'nobody@example.com', password: 'not the password' },
      });
      for (const answer of [wrong, unknown]) {
        assert.equal(answer.status, 401);
        assert.equal(answer.body.code, 'invalid_credentials');
      }
      assert.equal(wrong.body.detail, unknown.body.detail);
    });

    test('lists sessions with the current one marked, its client and IP', async () => {
      const account = await t.signUp({ client: 'Phone/1.0' });
      const second = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        headers: { 'user-agent': 'Laptop/2.0' },
        ip: '203.0.113.7',
      });
      const list = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: second.body.token });
      assert.equal(list.status, 200);
      assert.equal(list.body.sessions.length, 2);
      const current = list.body.sessions.find((s: Api<'Session'>) => s.current);
      assert.ok(current);
      assert.equal(current.client, 'Laptop/2.0');
      assert.equal(current.ip, '203.0.113.7');
      assert.equal(current.kind, 'api');
      const other = list.body.sessions.find((s: Api<'Session'>) => !s.current);
      assert.ok(other);
      assert.equal(other.client, 'Phone/1.0');
      for (const s of list.body.sessions)
        for (const field of ['createdAt', 'lastUsedAt', 'expiresAt'] as const)
          assert.ok(!Number.isNaN(Date.parse(s[field])));
    });

    test('ending one session stops its token at once; another account cannot end it', async () => {
      const account = await t.signUp();
      const stranger = await t.signUp();
      const second = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      const list = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: account.token });
      const target = list.body.sessions.find((s) => !s.current)?.id;
      assert.ok(target);
      const foreign = await t.request('DELETE', `/v1/sessions/${target}`, { token: stranger.token });
      assert.equal(foreign.status, 404);
      assert.equal((await t.request('GET', '/v1/me', { token: second.body.token })).status, 200);
      assert.equal((await t.request('DELETE', `/v1/sessions/${target}`, { token: account.token })).status, 204);
      const ended = await t.request<Api<'Problem'>>('GET', '/v1/me', { token: second.body.token });
      assert.equal(ended.status, 401);
      assert.equal(ended.body.code, 'unauthenticated');
      assert.equal((await t.request('DELETE', `/v1/sessions/${target}`, { token: account.token })).status, 404);
    });

    test('ending every other session keeps only the current one', async () => {
      const account = await t.signUp();
      const others = await Promise.all(
        [1, 2, 3].map(() =>
          t.request<BearerSession>('POST', '/v1/sessions', {
            body: { login: account.email, password: account.password },
          }),
        ),
      );
      assert.equal((await t.request('DELETE', '/v1/sessions/others', { token: account.token })).status, 204);
      for (const other of others)
        assert.equal((await t.request('GET', '/v1/me', { token: other.body.token })).status, 401);
      const list = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: account.token });
      assert.equal(list.body.sessions.length, 1);
      assert.equal(list.body.sessions[0]?.current, true);
    });

    test('signing out ends the current session', async () => {
      const account = await t.signUp();
      assert.equal((await t.request('DELETE', '/v1/sessions/current', { token: account.token })).status, 204);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401);
    });

    test('a client that always sends Content-Type: application/json can still sign out with an empty body', async () => {
      const account = await t.signUp();
      const signOut = await t.request('DELETE', '/v1/sessions/current', {
        token: account.token,
        headers: { 'content-type': 'application/json' },
        payload: '',
      });
      assert.equal(signOut.status, 204);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401);
    });

    test('a session is fresh for 10 minutes after the password; re-authentication makes it fresh again', async () => {
      const account = await t.signUp();
      assert.equal(
        (await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: account.token })).body.fresh,
        true,
      );
      t.clock.advance(10 * 60_000 + 1);
      assert.equal(
        (await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: account.token })).body.fresh,
        false,
      );
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/session/reauth', {
        token: account.token,
        body: { password: 'not it at all' },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, 'invalid_credentials');
      assert.equal(
        (await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: account.token })).body.fresh,
        false,
      );
      const stale = account.token;
      await reauthenticate(t, account);
      assert.notEqual(account.token, stale, 'a new token');
      const session = await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: account.token });
      assert.equal(session.body.fresh, true);
      assert.equal(Date.parse(session.body.freshUntil), t.clock.now() + 10 * 60_000);
      assertProblem(await t.request('GET', '/v1/session', { token: stale }), 401, 'unauthenticated');
    });

    test('an unused session ends after 14 idle days; a used one lasts until its absolute 90 days', async () => {
      const idle = await t.signUp();
      const busy = await t.signUp();
      t.clock.advance(14 * DAY - 60_000);
      assert.equal((await t.request('GET', '/v1/me', { token: busy.token })).status, 200);
      t.clock.advance(2 * 60_000);
      assert.equal((await t.request('GET', '/v1/me', { token: idle.token })).status, 401);
      const started = t.clock.now() - 14 * DAY - 60_000;
      while (t.clock.now() + 7 * DAY < started + 90 * DAY) {
        t.clock.advance(7 * DAY);
        assert.equal(
          (await t.request('GET', '/v1/me', { token: busy.token })).status,
          200,
          `day ${(t.clock.now() - started) / DAY}`,
        );
      }
      t.clock.set(started + 90 * DAY + 1);
      assert.equal((await t.request('GET', '/v1/me', { token: busy.token })).status, 401);
    });

    test('a device token does not end for being idle, and the expiry sweep keeps it', async () => {
      const account = await t.signUp();
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: {
          serial: `SN-IDLE-${account.id.slice(-8)}`,
          model: 'Redmi Note 13',
          name: 'Drawer phone',
          kind: 'phone',
        },
      });
      assert.equal(linked.status, 201, linked.text);
      t.clock.advance(60 * DAY);
      assert.equal((await t.app.services.sessions.sweepExpired()) >= 1, true, 'the idle account session is swept');
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401);
      assert.equal((await t.request('GET', '/v1/device/commands', { token: linked.body.deviceToken })).status, 200);
    });

    test('changing the password needs the current one, ends the other sessions and tells the owner', async () => {
      const account = await t.signUp();
      const other = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      const wrong = await t.request('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: 'not my password', newPassword: 'a brand new passphrase' },
      });
      assert.equal(wrong.status, 401);
      assert.equal((await t.request('GET', '/v1/me', { token: other.body.token })).status, 200);
      const weak = await t.request<Api<'Problem'>>('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: account.password, newPassword: 'qwertyuiop' },
      });
      assert.equal(weak.status, 400);
      assert.equal(weak.body.errors?.[0]?.path, 'newPassword');
      const changed = await t.request('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: account.password, newPassword: 'a brand new passphrase' },
      });
      assert.equal(changed.status, 204);
      assert.equal((await t.request('GET', '/v1/me', { token: other.body.token })).status, 401);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        401,
      );
      assert.equal(
        (
          await t.request('POST', '/v1/sessions', {
            body: { login: account.email, password: 'a brand new passphrase' },
          })
        ).status,
        201,
      );
      await t.drainJobs();
      assert.ok(t.messages.to(account.email!).some((m) => /password .*was changed/i.test(m.subject)));
    });

    test('a browser gets an HttpOnly SameSite=Lax cookie; state changes by cookie need the CSRF token', async () => {
      const account = await t.signUp();
      const signIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(signIn.status, 201);
      const setCookie = String(signIn.headers['set-cookie']);
      assert.match(setCookie, /^lanyard_session=[A-Za-z0-9_-]+;/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Lax/);
      assert.doesNotMatch(setCookie, /Secure/, 'not Secure over plain http');
      // The token is in the HttpOnly cookie only: no page script can read it from the answer.
      assert.equal(signIn.body.token, undefined);
      assert.ok(signIn.body.account.id && signIn.body.expiresAt);
      const cookies = { lanyard_session: /^lanyard_session=([A-Za-z0-9_-]+);/.exec(setCookie)![1]! };
      const session = await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { cookies });
      assert.equal(session.status, 200);
      assert.equal(session.body.kind, 'web');
      const noCsrf = await t.request<Api<'Problem'>>('PATCH', '/v1/me', { cookies, body: { name: 'Mallory' } });
      assert.equal(noCsrf.status, 403);
      assert.equal(noCsrf.body.code, 'csrf_failed');
      const badCsrf = await t.request('PATCH', '/v1/me', {
        cookies,
        body: { name: 'Mallory' },
        headers: { 'x-csrf-token': 'forged' },
      });
      assert.equal(badCsrf.status, 403);
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { cookies })).body.name, null);
      const ok = await t.request<Api<'Account'>>('PATCH', '/v1/me', {
        cookies,
        body: { name: 'Ana' },
        headers: { 'x-csrf-token': session.body.csrfToken },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.name, 'Ana');
      // A bearer token is not a cookie: no CSRF needed.
      assert.equal((await t.request('PATCH', '/v1/me', { token: account.token, body: { name: 'Bea' } })).status, 200);
      const signOut = await t.request('DELETE', '/v1/sessions/current', {
        cookies,
        headers: { 'x-csrf-token': session.body.csrfToken },
      });
      assert.equal(signOut.status, 204);
      assert.match(String(signOut.headers['set-cookie']), /lanyard_session=;/);
    });

    test('a sign-in from a client never seen before sends a message; a known client does not', async () => {
      const account = await t.signUp({ client: 'Phone/1.0' });
      await t.drainJobs();
      const before = t.messages.to(account.email!).length;
      const known = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        headers: { 'user-agent': 'Phone/1.0' },
      });
      assert.equal(known.status, 201);
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: known.body.token })).body.id, account.id);
      await t.drainJobs();
      assert.equal(t.messages.to(account.email!).length, before);
      const events: Api<'SecurityEvent'>[] = (
        await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: known.body.token })
      ).body.events;
      assert.deepEqual(
        events.filter((e) => e.type.startsWith('sign_in')).map((e) => [e.type, e.client]),
        [['sign_in', 'Phone/1.0']],
      );
      await t.request('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        headers: { 'user-agent': 'Strange Browser/9' },
        ip: '198.51.100.4',
      });
      await t.drainJobs();
      const notices = t.messages.to(account.email!).slice(before);
      assert.equal(notices.length, 1);
      assert.match(notices[0]!.text, /Strange Browser\/9/);
      assert.match(notices[0]!.text, /198\.51\.100\.4/);
    });

    test('security events list sign-ins, sessions and password changes, newest first', async () => {
      const account = await t.signUp();
      t.clock.advance(1000);
      await t.request('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        headers: { 'user-agent': 'Tablet/3' },
      });
      t.clock.advance(1000);
      await t.request('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: account.password, newPassword: 'yet another passphrase' },
      });
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token });
      assert.equal(events.status, 200);
      const types = events.body.events.map((e: Api<'SecurityEvent'>) => e.type);
      assert.equal(types[0], 'password.changed');
      assert.ok(types.includes('sign_in'));
      assert.ok(types.includes('sign_in.new_client'));
      assert.ok(types.includes('account.created'));
      const times = events.body.events.map((e: Api<'SecurityEvent'>) => Date.parse(e.at));
      assert.deepEqual(
        [...times].sort((a, b) => b - a),
        times,
      );
      const stranger = await t.signUp();
      const theirs = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: stranger.token });
      assert.ok(theirs.body.events.every((e: Api<'SecurityEvent'>) => e.type !== 'password.changed'));
    });
  });
}
