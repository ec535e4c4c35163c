import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { testDatabases, type TestAccount } from '../testing/test-app.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// Every flow of the OpenID provider driven by openid-client, the certified relying party, against the
// running server, as a phone app, a web app and a maker's service would use it.

const NATIVE_REDIRECT = 'com.example.notes:/oauth/callback';
const WEB_REDIRECT = 'https://shop.example.com/callback';
const WEB_LOGOUT = 'https://shop.example.com/signed-out';

for (const database of testDatabases()) {
  describe(`apps: flows with openid-client (${database})`, () => {
    let s: ListeningApp;
    let web: Api<'AppCreated'>;
    let webRp: client.Configuration;

    before(async () => {
      s = await startListeningApp(database);
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Shop',
          type: 'web',
          redirectUris: [WEB_REDIRECT],
          postLogoutRedirectUris: [WEB_LOGOUT],
          scopes: ['openid', 'email', 'offline_access', 'devices:read'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      web = registered.body;
      webRp = await relyingParty(s.baseUrl, web.clientId, web.clientSecret);
    });
    after(async () => s?.close());

    /** Signs in on the sign-in page (and allows access when asked); returns where the browser went back to the app. */
    async function signInAndAllow(browser: Browser, url: URL, account: TestAccount, options: { expect?: RegExp } = {}) {
      let page = await browser.go('GET', url.href);
      if (page.left) return page.left;
      if (/type="password"/.test(page.text)) {
        if (options.expect) assert.match(page.text, options.expect);
        page = await browser.submit(page.text, /\/login$/, { login: account.email!, password: account.password });
      }
      if (page.left) return page.left;
      assert.match(page.text, /\/consent"/, page.text.slice(0, 400));
      page = await browser.submit(page.text, /\/consent$/, { decision: 'allow' });
      assert.ok(page.left, `back to the app: ${page.text.slice(0, 300)}`);
      return page.left;
    }

    test('a public native app (private-use redirect URI, no secret) signs a person in with PKCE; without PKCE it is refused', async () => {
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Notes',
          type: 'native',
          redirectUris: [NATIVE_REDIRECT, 'http://127.0.0.1/cb'],
          scopes: ['openid', 'email'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      assert.equal(registered.body.clientSecret, null, 'a native app gets no secret');
      const rp = await relyingParty(s.baseUrl, registered.body.clientId);
      assert.deepEqual(rp.serverMetadata().code_challenge_methods_supported, ['S256']);

      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: NATIVE_REDIRECT,
        scope: 'openid email',
      });
      const back = await signInAndAllow(browser, url, account, { expect: /Sign in to continue to Notes/ });
      assert.ok(back.startsWith(`${NATIVE_REDIRECT}?`), back);
      const tokens = await client.authorizationCodeGrant(rp, new URL(back), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, account.id);
      assert.equal((await client.fetchUserInfo(rp, tokens.access_token, account.id)).email, account.email);
      assert.equal(claims.acr, 'urn:lanyard:acr:password');
      assert.deepEqual(claims.amr, ['pwd']);

      // RFC 8252: the loopback redirect URI with whatever port the app listens on.
      const loopback = await authorizationRequest(rp, {
        redirect_uri: 'http://127.0.0.1:53117/cb',
        scope: 'openid email',
      });
      const looped = await signInAndAllow(browser, loopback.url, account);
      assert.ok(looped.startsWith('http://127.0.0.1:53117/cb?code='), looped);

      // No code_challenge: the app is sent back with invalid_request, and no code.
      const bare = new URL(
        client.buildAuthorizationUrl(rp, { redirect_uri: NATIVE_REDIRECT, scope: 'openid', state: 'x' }),
      );
      const refused = await browser.go('GET', bare.href);
      const answer = new URL(refused.left!);
      assert.equal(answer.searchParams.get('error'), 'invalid_request');
      assert.match(answer.searchParams.get('error_description')!, /requires PKCE/);
      assert.equal(answer.searchParams.get('code'), null);
    });

    test('prompt=login and max_age ask for the password again, and auth_time is when it was really given', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      // Signed in to Lanyard (the portal) ten minutes ago: an app's sign-in takes that session, and its
      // auth_time says when the password was given, not "now".
      const signedInAt = Math.floor(Date.now() / 1000);
      await browser.signInToLanyard(account.email!, account.password);
      s.t.clock.advance(10 * 60_000);
      const first = await authorizationRequest(webRp, { redirect_uri: WEB_REDIRECT, scope: 'openid email' });
      const firstBack = await signInAndAllow(browser, first.url, account);
      const firstTokens = await client.authorizationCodeGrant(webRp, new URL(firstBack), {
        pkceCodeVerifier: first.verifier,
        expectedState: first.state,
      });
      const authTime = firstTokens.claims()!.auth_time!;
      assert.ok(
        Math.abs(authTime - (signedInAt - 600)) <= 2,
        `auth_time ${authTime} is ten minutes before ${signedInAt}`,
      );

      // max_age=300: the password was given longer ago than that, so it is asked again.
      const fresh = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid email',
        max_age: '300',
      });
      const asked = await browser.go('GET', fresh.url.href);
      assert.match(asked.text, /Enter your password again to continue to Shop/);
      const typedAt = Math.floor(Date.now() / 1000);
      const freshBack = await browser.submit(asked.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const freshTokens = await client.authorizationCodeGrant(webRp, new URL(freshBack.left!), {
        pkceCodeVerifier: fresh.verifier,
        expectedState: fresh.state,
        maxAge: 300,
      });
      assert.ok(freshTokens.claims()!.auth_time! >= typedAt, 'auth_time is the new password entry');

      // prompt=login: asked again although the browser is signed in, with a wrong password refused first.
      const again = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid email',
        prompt: 'login',
      });
      const form = await browser.go('GET', again.url.href);
      assert.match(form.text, /Enter your password again to continue to Shop/);
      const wrong = await browser.submit(form.text, /\/login$/, { login: account.email!, password: 'not my password' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /The login or password is wrong/);
      const retypedAt = Math.floor(Date.now() / 1000);
      const againBack = await browser.submit(wrong.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const againTokens = await client.authorizationCodeGrant(webRp, new URL(againBack.left!), {
        pkceCodeVerifier: again.verifier,
        expectedState: again.state,
      });
      assert.ok(againTokens.claims()!.auth_time! >= retypedAt);

      // Without either, a signed-in browser is not asked.
      const quiet = await authorizationRequest(webRp, { redirect_uri: WEB_REDIRECT, scope: 'openid email' });
      assert.ok((await browser.go('GET', quiet.url.href)).left?.startsWith(`${WEB_REDIRECT}?code=`));
    });

    test('signing out through the app, after saying yes on the sign-out page, ends the Lanyard web session too', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl, 'es');
      const { url, verifier, state } = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid email',
      });
      const back = await signInAndAllow(browser, url, account);
      const tokens = await client.authorizationCodeGrant(webRp, new URL(back), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const webSession = browser.cookies.get('lanyard_session')!;
      assert.ok(webSession);

      const logoutUrl = client.buildEndSessionUrl(webRp, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: WEB_LOGOUT,
        state: 'bye',
      });
      const confirm = await browser.go('GET', logoutUrl.href);
      assert.equal(confirm.status, 200);
      assert.match(confirm.text, /<html lang="es">/);
      assert.match(confirm.text, /¿Cerrar la sesión de Lanyard y de Shop\?/);
      const done = await browser.submit(confirm.text, /\/oauth\/logout\/confirm$/, { logout: 'yes' });
      const landed = new URL(done.left!);
      assert.equal(`${landed.origin}${landed.pathname}`, WEB_LOGOUT);
      assert.equal(landed.searchParams.get('state'), 'bye');
      assert.equal(browser.cookies.get('lanyard_session'), undefined, 'the cookie is cleared');
      const ended = await s.t.request<Api<'Problem'>>('GET', '/v1/session', { token: webSession });
      assert.equal(ended.status, 401, 'the web session has ended');

      // The next sign-in with the app asks for the password.
      const next = await authorizationRequest(webRp, { redirect_uri: WEB_REDIRECT, scope: 'openid email' });
      assert.match((await browser.go('GET', next.url.href)).text, /type="password"/);

      // An unregistered post-logout URI is refused.
      const stranger = client.buildEndSessionUrl(webRp, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'https://evil.example.com/',
      });
      assert.equal((await browser.go('GET', stranger.href)).status, 400);
    });

    test('refresh tokens rotate; a used one coming back revokes the grant and the person sees it in their activity', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      // offline_access without prompt=consent (OIDC Core 11): the consent page asks for it in words.
      const { url, verifier, state } = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid email offline_access',
      });
      const signIn = await browser.go('GET', url.href);
      const consent = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      assert.match(consent.text, /Keep access while you are away/);
      const back = (await browser.submit(consent.text, /\/consent$/, { decision: 'allow' })).left!;
      const tokens = await client.authorizationCodeGrant(webRp, new URL(back), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const first = tokens.refresh_token!;
      assert.ok(first, 'offline_access gives a refresh token');
      // Asked again once allowed: no consent page, and a refresh token again.
      const again = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid email offline_access',
      });
      const quiet = await browser.go('GET', again.url.href);
      assert.ok(quiet.left, `straight back to the app: ${quiet.text.slice(0, 200)}`);
      assert.ok(
        (
          await client.authorizationCodeGrant(webRp, new URL(quiet.left), {
            pkceCodeVerifier: again.verifier,
            expectedState: again.state,
          })
        ).refresh_token,
      );
      const rotated = await client.refreshTokenGrant(webRp, first);
      assert.ok(rotated.refresh_token && rotated.refresh_token !== first, 'a new refresh token each time');

      await assert.rejects(
        client.refreshTokenGrant(webRp, first),
        (error: client.ResponseBodyError) => error.error === 'invalid_grant',
      );
      await assert.rejects(
        client.refreshTokenGrant(webRp, rotated.refresh_token),
        (error: client.ResponseBodyError) => error.error === 'invalid_grant',
        'the whole grant is revoked',
      );
      const introspected = await client.tokenIntrospection(webRp, rotated.access_token);
      assert.equal(introspected.active, false, 'its access tokens too');
      let events: Array<{ type: string }> = [];
      for (let i = 0; i < 50 && !events.some((e) => e.type === 'app.refresh_token_reused'); i++) {
        events = (await s.t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token })).body
          .events;
        if (!events.some((e) => e.type === 'app.refresh_token_reused'))
          await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(
        events.some((e) => e.type === 'app.refresh_token_reused'),
        JSON.stringify(events),
      );
    });

    test("an access token for Lanyard's API (resource indicator, JWT) with devices:read lists devices, is refused elsewhere with insufficient_scope, and introspection describes the app's tokens", async () => {
      const account = await s.t.signUp();
      const device = await s.t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN${Date.now()}`, model: 'Watch 2', name: 'Watch', kind: 'watch' },
      });
      assert.equal(device.status, 201, device.text);
      const resource = `${s.baseUrl}/v1`;
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid devices:read',
        resource,
      });
      const consent = await browser.go('GET', url.href);
      const signedIn = await browser.submit(consent.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      assert.match(signedIn.text, /See your devices and where they are/);
      const back = await browser.submit(signedIn.text, /\/consent$/, { decision: 'allow' });
      const tokens = await client.authorizationCodeGrant(
        webRp,
        new URL(back.left!),
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource },
      );
      assert.equal(tokens.scope, 'devices:read');

      // RFC 9068: verifiable offline with the published keys.
      const { payload, protectedHeader } = await jwtVerify(
        tokens.access_token,
        createRemoteJWKSet(new URL(`${s.baseUrl}/oauth/jwks`)),
        { issuer: s.baseUrl, audience: resource, typ: 'at+jwt' },
      );
      assert.equal(protectedHeader.typ, 'at+jwt');
      assert.equal(payload.sub, account.id);
      assert.equal(payload.client_id, web.clientId);

      const bearer = { authorization: `Bearer ${tokens.access_token}` };
      const listed = await s.t.request<Api<'DeviceList'>>('GET', '/v1/devices', { headers: bearer });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.devices.map((d: { id: string }) => d.id),
        [device.body.device.id],
      );
      assert.equal((await s.t.request('GET', `/v1/devices/${device.body.device.id}`, { headers: bearer })).status, 200);
      const password = await s.t.request<Api<'Problem'>>('POST', '/v1/me/password', {
        headers: bearer,
        body: { currentPassword: account.password, newPassword: 'a whole new passphrase' },
      });
      assert.equal(password.status, 403, password.text);
      assert.equal(password.body.code, 'insufficient_scope');
      assert.match(String(password.headers['www-authenticate']), /^Bearer error="insufficient_scope"/);
      const ring = await s.t.request('POST', `/v1/devices/${device.body.device.id}/commands`, {
        headers: bearer,
        body: { type: 'ring' },
      });
      assert.equal(ring.status, 403);
      assert.match(String(ring.headers['www-authenticate']), /error="insufficient_scope", scope="devices:write"/);
      const forged = await s.t.request('GET', '/v1/devices', {
        headers: { authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA` },
      });
      assert.equal(forged.status, 401);
      assert.match(String(forged.headers['www-authenticate']), /error="invalid_token"/);

      // Introspection (RFC 7662) of the app's opaque tokens: the userinfo token of an OpenID sign-in.
      const plain = await authorizationRequest(webRp, { redirect_uri: WEB_REDIRECT, scope: 'openid email' });
      const plainBack = await signInAndAllow(browser, plain.url, account);
      const plainTokens = await client.authorizationCodeGrant(webRp, new URL(plainBack), {
        pkceCodeVerifier: plain.verifier,
        expectedState: plain.state,
      });
      const active = await client.tokenIntrospection(webRp, plainTokens.access_token);
      assert.equal(active.active, true);
      assert.equal(active.sub, account.id);
      assert.equal(active.client_id, web.clientId);
      assert.equal((await client.tokenIntrospection(webRp, 'not-a-token-at-all')).active, false);

      // Revoking the app in the account stops its API token at once.
      assert.equal((await s.t.request('DELETE', `/v1/apps/${web.clientId}`, { token: account.token })).status, 204);
      assert.equal((await s.t.request('GET', '/v1/devices', { headers: bearer })).status, 401);
      assert.equal((await client.tokenIntrospection(webRp, plainTokens.access_token)).active, false);
    });

    test('a first-party app skips the consent page', async () => {
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Lanyard Photos',
          type: 'spa',
          firstParty: true,
          redirectUris: ['https://photos.example.com/cb'],
          scopes: ['openid', 'profile'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      const rp = await relyingParty(s.baseUrl, registered.body.clientId);
      const account = await s.t.signUp({ name: 'Eva' });
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: 'https://photos.example.com/cb',
        scope: 'openid profile',
      });
      const page = await browser.go('GET', url.href);
      const back = await browser.submit(page.text, /\/login$/, { login: account.email!, password: account.password });
      assert.ok(back.left, 'straight back to the app, no consent page');
      const tokens = await client.authorizationCodeGrant(rp, new URL(back.left), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      assert.equal((await client.fetchUserInfo(rp, tokens.access_token, account.id)).name, 'Eva');
    });

    test('signing keys rotate: the new key is published first, signs later, and tokens signed by either keep verifying', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const jwks = () =>
        s.t.request<{ keys: Array<{ kid: string; d?: string }> }>('GET', '/oauth/jwks').then((r) => r.body.keys);
      const idToken = async () => {
        const { url, verifier, state } = await authorizationRequest(webRp, {
          redirect_uri: WEB_REDIRECT,
          scope: 'openid email',
        });
        const back = await signInAndAllow(browser, url, account);
        return (
          await client.authorizationCodeGrant(webRp, new URL(back), {
            pkceCodeVerifier: verifier,
            expectedState: state,
          })
        ).id_token!;
      };
      const before = await idToken();
      const oldKid = decodeProtectedHeader(before).kid!;
      const resource = `${s.baseUrl}/v1`;
      const api = await authorizationRequest(webRp, {
        redirect_uri: WEB_REDIRECT,
        scope: 'openid devices:read',
        resource,
      });
      const apiBack = await signInAndAllow(browser, api.url, account);
      const apiToken = (
        await client.authorizationCodeGrant(
          webRp,
          new URL(apiBack),
          { pkceCodeVerifier: api.verifier, expectedState: api.state },
          { resource },
        )
      ).access_token;
      assert.equal(decodeProtectedHeader(apiToken).kid, oldKid);
      const { kid, signFrom, retireAt } = await s.t.app.services.signingKeys.rotate({
        signAfterMs: 60 * 60_000,
        retireAfterMs: 24 * 60 * 60_000,
      });
      assert.equal(await s.t.app.services.oidc.refreshKeys(), true);
      assert.deepEqual((await jwks()).map((k) => k.kid).sort(), [kid, oldKid].sort(), 'published at once');
      assert.ok((await jwks()).every((k) => k.d === undefined));
      assert.equal(decodeProtectedHeader(await idToken()).kid, oldKid, 'not signing yet');

      s.t.clock.set(signFrom);
      await s.t.app.services.oidc.refreshKeys();
      const afterRotation = await idToken();
      assert.equal(decodeProtectedHeader(afterRotation).kid, kid, 'the new key signs');
      const keySet = createRemoteJWKSet(new URL(`${s.baseUrl}/oauth/jwks`));
      for (const token of [before, afterRotation]) {
        const { payload } = await jwtVerify(token, keySet, { issuer: s.baseUrl, audience: web.clientId });
        assert.equal(payload.sub, account.id);
      }

      const listed = await s.t.request('GET', '/v1/devices', { headers: { authorization: `Bearer ${apiToken}` } });
      assert.equal(listed.status, 200, 'an API token signed by the old, still published key is accepted');

      // Sealed at rest: the stored keys show neither their private part nor even their public modulus.
      const published = await jwks();
      for (const row of await s.t.app.database.db.selectFrom('oidc_signing_keys').select('jwk_sealed').execute()) {
        assert.doesNotMatch(row.jwk_sealed, /"d"|"kty"/);
        for (const key of published as Array<{ n?: string }>) assert.ok(!row.jwk_sealed.includes(key.n!.slice(0, 40)));
      }

      s.t.clock.set(retireAt);
      await s.t.app.services.oidc.refreshKeys();
      assert.deepEqual(
        (await jwks()).map((k) => k.kid),
        [kid],
        'the old key is retired',
      );
    });
  });
}
