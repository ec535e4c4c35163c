import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { startSmsReceiver, type SmsReceiver } from '../testing/receivers.js';
import { testDatabases, type TestAccount } from '../testing/test-app.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// Ending a Lanyard web session (sign-out, a session ended from the list, every other session ended, a
// new password, a lock) ends the apps' sign-ins made through it: each app gets a signed back-channel
// logout token with that session's sid, and the tokens that live with the session stop working.

const REDIRECT = 'https://shop.example.com/callback';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

for (const database of testDatabases()) {
  describe(`apps: ending a web session logs its apps out (${database})`, () => {
    let s: ListeningApp;
    let receiver: SmsReceiver;
    let app: Api<'AppCreated'>;
    let rp: client.Configuration;

    before(async () => {
      receiver = await startSmsReceiver();
      s = await startListeningApp(database);
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Shop',
          type: 'web',
          redirectUris: [REDIRECT],
          scopes: ['openid', 'email', 'offline_access', 'devices:read'],
          backchannelLogoutUri: receiver.url,
        },
      });
      assert.equal(registered.status, 201, registered.text);
      app = registered.body;
      rp = await relyingParty(s.baseUrl, app.clientId, app.clientSecret);
    });
    after(async () => {
      await s?.close();
      await receiver?.close();
    });

    /** A browser signs in to the app on Lanyard's pages; the app redeems its code with openid-client. */
    async function signInToApp(
      browser: Browser,
      account: TestAccount,
      scope = 'openid email',
      extra: Record<string, string> = {},
    ) {
      const { url, verifier, state } = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope, ...extra });
      let page = await browser.go('GET', url.href);
      if (!page.left && /type="password"/.test(page.text))
        page = await browser.submit(page.text, /\/login$/, { login: account.email!, password: account.password });
      if (!page.left) page = await browser.submit(page.text, /\/consent$/, { decision: 'allow' });
      assert.ok(page.left, `back to the app: ${page.text.slice(0, 300)}`);
      const tokens = await client.authorizationCodeGrant(
        rp,
        new URL(page.left),
        { pkceCodeVerifier: verifier, expectedState: state },
        extra.resource ? { resource: extra.resource } : undefined,
      );
      const sid = tokens.claims()!.sid as string;
      assert.ok(sid, 'the ID token names the session (sid), as the app needs to match a logout');
      return { tokens, sid, webSession: browser.cookies.get('lanyard_session')! };
    }

    /** The logout tokens posted since `from`, each verified against the published keys. */
    async function logoutTokens(from: number) {
      await s.t.drainJobs();
      const keys = createRemoteJWKSet(new URL(`${s.baseUrl}/oauth/jwks`));
      const claims = [];
      for (const request of receiver.requests.slice(from)) {
        assert.equal(request.method, 'POST');
        const token = new URLSearchParams(String(request.body)).get('logout_token')!;
        const { payload, protectedHeader } = await jwtVerify(token, keys, {
          issuer: s.baseUrl,
          audience: app.clientId,
          typ: 'logout+jwt',
        });
        assert.equal(protectedHeader.alg, 'RS256');
        assert.ok(BACKCHANNEL_EVENT in (payload.events as object));
        assert.equal(payload.nonce, undefined);
        claims.push(payload as { sub: string; sid?: string });
      }
      return claims;
    }

    const userinfoWorks = (accessToken: string, sub: string) =>
      client.fetchUserInfo(rp, accessToken, sub).then(
        () => true,
        () => false,
      );

    test('signing out of Lanyard sends the app a logout token with the sid, and its tokens and sign-in end', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const { tokens, sid, webSession } = await signInToApp(browser, account);
      assert.equal(await userinfoWorks(tokens.access_token, account.id), true);
      await s.t.drainJobs();
      const from = receiver.requests.length;

      assert.equal((await s.t.request('DELETE', '/v1/sessions/current', { token: webSession })).status, 204);
      const told = await logoutTokens(from);
      assert.deepEqual(
        told.map((c) => ({ sub: c.sub, sid: c.sid })),
        [{ sub: account.id, sid }],
      );
      assert.equal(await userinfoWorks(tokens.access_token, account.id), false, 'the access token ended');
      assert.equal((await client.tokenIntrospection(rp, tokens.access_token)).active, false);
      assert.deepEqual(
        (await s.t.request<Api<'AppGrantList'>>('GET', '/v1/apps', { token: account.token })).body.apps,
        [],
        'the grant of that session ended',
      );

      // The browser's next sign-in with the app asks for the password: nothing is left of the old one.
      const next = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope: 'openid email' });
      assert.match((await browser.go('GET', next.url.href)).text, /type="password"/);
    });

    test('a session ended from another one (DELETE /v1/sessions/{id}) logs its apps out; the other sessions are untouched', async () => {
      const account = await s.t.signUp();
      const laptop = new Browser(s.baseUrl);
      const phone = new Browser(s.baseUrl);
      const onLaptop = await signInToApp(laptop, account);
      const onPhone = await signInToApp(phone, account);
      assert.notEqual(onLaptop.sid, onPhone.sid);
      await s.t.drainJobs();
      const from = receiver.requests.length;

      const sessions = (await s.t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: onLaptop.webSession }))
        .body.sessions;
      const laptopSessionId = sessions.find((x) => x.current)!.id;
      const ended = await s.t.request('DELETE', `/v1/sessions/${laptopSessionId}`, { token: account.token });
      assert.equal(ended.status, 204, ended.text);
      const told = await logoutTokens(from);
      assert.deepEqual(
        told.map((c) => c.sid),
        [onLaptop.sid],
        'only the laptop session is logged out',
      );
      assert.equal(await userinfoWorks(onLaptop.tokens.access_token, account.id), false);
      assert.equal(await userinfoWorks(onPhone.tokens.access_token, account.id), true, "the phone's sign-in goes on");
    });

    test('ending every other session, a new password and a lock each log out the apps of the sessions they end', async () => {
      const account = await s.t.signUp();
      const a = await signInToApp(new Browser(s.baseUrl), account);
      const b = await signInToApp(new Browser(s.baseUrl), account);
      await s.t.drainJobs();
      let from = receiver.requests.length;
      assert.equal((await s.t.request('DELETE', '/v1/sessions/others', { token: account.token })).status, 204);
      assert.deepEqual((await logoutTokens(from)).map((c) => c.sid).sort(), [a.sid, b.sid].sort());
      assert.equal(await userinfoWorks(a.tokens.access_token, account.id), false);
      assert.equal(await userinfoWorks(b.tokens.access_token, account.id), false);

      const c = await signInToApp(new Browser(s.baseUrl), account);
      from = receiver.requests.length;
      const changed = await s.t.request('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: account.password, newPassword: 'another long passphrase 2' },
      });
      assert.equal(changed.status, 204, changed.text);
      assert.deepEqual(
        (await logoutTokens(from)).map((x) => x.sid),
        [c.sid],
      );
      assert.equal(await userinfoWorks(c.tokens.access_token, account.id), false);

      const d = await signInToApp(new Browser(s.baseUrl), { ...account, password: 'another long passphrase 2' });
      from = receiver.requests.length;
      assert.equal((await s.t.request('POST', '/v1/me/lock', { token: account.token })).status, 202);
      assert.deepEqual(
        (await logoutTokens(from)).map((x) => x.sid),
        [d.sid],
      );
      assert.equal(await userinfoWorks(d.tokens.access_token, account.id), false);
    });

    test('a re-authentication replaces the web session without logging the apps out; the new session carries them on', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const { tokens, sid, webSession } = await signInToApp(browser, account);
      await s.t.drainJobs();
      const from = receiver.requests.length;
      const reauth = await s.t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
        token: webSession,
        body: { password: account.password },
      });
      assert.equal(reauth.status, 200, reauth.text);
      assert.deepEqual(await logoutTokens(from), [], 'nobody is logged out');
      assert.equal(await userinfoWorks(tokens.access_token, account.id), true);

      assert.equal((await s.t.request('DELETE', '/v1/sessions/current', { token: reauth.body.token })).status, 204);
      assert.deepEqual(
        (await logoutTokens(from)).map((c) => c.sid),
        [sid],
        'ending the new session logs out what the old one signed in',
      );
      assert.equal(await userinfoWorks(tokens.access_token, account.id), false);
    });

    test('offline_access, allowed "while you are away", outlives the sign-out (OpenID Back-Channel Logout 2.7), and the app is still told', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const resource = `${s.baseUrl}/v1`;
      const offline = await signInToApp(browser, account, 'openid email offline_access');
      assert.ok(offline.tokens.refresh_token);
      await s.t.drainJobs();
      const from = receiver.requests.length;
      assert.equal((await s.t.request('DELETE', '/v1/sessions/current', { token: offline.webSession })).status, 204);
      assert.deepEqual(
        (await logoutTokens(from)).map((c) => c.sid),
        [offline.sid],
      );
      const refreshed = await client.refreshTokenGrant(rp, offline.tokens.refresh_token!);
      assert.ok(refreshed.access_token);

      // An API token (JWT, resource indicator) of a grant without offline_access ends with the session.
      const browser2 = new Browser(s.baseUrl);
      const api = await signInToApp(browser2, account, 'openid devices:read', { resource });
      const bearer = { authorization: `Bearer ${api.tokens.access_token}` };
      assert.equal((await s.t.request('GET', '/v1/devices', { headers: bearer })).status, 200);
      assert.equal((await s.t.request('DELETE', '/v1/sessions/current', { token: api.webSession })).status, 204);
      await s.t.drainJobs();
      const refused = await s.t.request('GET', '/v1/devices', { headers: bearer });
      assert.equal(refused.status, 401, refused.text);
    });
  });
}
