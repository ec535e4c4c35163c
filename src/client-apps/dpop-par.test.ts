import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

// DPoP (RFC 9449) and PAR (RFC 9126) are there for every app, and an app staff set up so (requireDpop,
// requirePar through the admin routes) must use them: driven by openid-client's own DPoP and PAR.

const REDIRECT = 'https://bank.example.com/cb';

for (const database of testDatabases()) {
  describe(`apps: DPoP and PAR, available and required per app (${database})`, () => {
    let s: ListeningApp;
    before(async () => {
      s = await startListeningApp(database);
    });
    after(async () => s?.close());

    async function register(body: Record<string, unknown>) {
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: { name: 'Bank', type: 'web', redirectUris: [REDIRECT], scopes: ['openid', 'email'], ...body },
      });
      assert.equal(registered.status, 201, registered.text);
      return {
        ...(registered.body as { clientId: string; clientSecret: string; requireDpop: boolean; requirePar: boolean }),
        rp: await relyingParty(s.baseUrl, registered.body.clientId, registered.body.clientSecret),
      };
    }

    /** Signs in on Lanyard's pages from the authorization URL; returns the URL the browser came back to the app with. */
    async function signIn(url: URL, account: TestAccount): Promise<URL> {
      const browser = new Browser(s.baseUrl);
      let page = await browser.go('GET', url.href);
      if (!page.left)
        page = await browser.submit(page.text, /\/login$/, { login: account.email!, password: account.password });
      if (!page.left) page = await browser.submit(page.text, /\/consent$/, { decision: 'allow' });
      assert.ok(page.left, page.text.slice(0, 300));
      return new URL(page.left);
    }

    test('any app may bind its tokens to a key with DPoP: userinfo takes the token with its proof, and not without', async () => {
      const { rp, requireDpop } = await register({});
      assert.equal(requireDpop, false);
      assert.ok(rp.serverMetadata().dpop_signing_alg_values_supported?.includes('ES256'), 'discovery advertises DPoP');
      const account = await s.t.signUp();
      const DPoP = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
      });
      const tokens = await client.authorizationCodeGrant(
        rp,
        await signIn(url, account),
        { pkceCodeVerifier: verifier, expectedState: state },
        undefined,
        { DPoP },
      );
      assert.equal(tokens.token_type, 'dpop');
      assert.equal((await client.fetchUserInfo(rp, tokens.access_token, account.id, { DPoP })).email, account.email);

      // The token without its proof (as a Bearer token, or with another key's proof) is refused.
      const asBearer = await fetch(`${s.baseUrl}/oauth/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(asBearer.status, 401);
      const otherKey = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      await assert.rejects(client.fetchUserInfo(rp, tokens.access_token, account.id, { DPoP: otherKey }));
      // Introspection says what the token is bound to.
      const introspected = await client.tokenIntrospection(rp, tokens.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.token_type, 'DPoP');
      assert.ok((introspected.cnf as { jkt?: string } | undefined)?.jkt, 'bound to the key thumbprint');
    });

    test('an app that requires DPoP gets no token without a proof, and a bound one with it', async () => {
      const { rp, clientId, requireDpop } = await register({ requireDpop: true });
      assert.equal(requireDpop, true);
      assert.equal(
        (await s.t.request<Api<'App'>>('GET', `/v1/admin/apps/${clientId}`, { token: s.admin })).body.requireDpop,
        true,
      );
      const account = await s.t.signUp();
      const plain = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope: 'openid email' });
      await assert.rejects(
        client.authorizationCodeGrant(rp, await signIn(plain.url, account), {
          pkceCodeVerifier: plain.verifier,
          expectedState: plain.state,
        }),
        // oidc-provider's "DPoP proof JWT not provided", an invalid_grant, whose description it keeps to itself.
        (error: client.ResponseBodyError) => error.error === 'invalid_grant',
      );

      const DPoP = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      const bound = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope: 'openid email' });
      const tokens = await client.authorizationCodeGrant(
        rp,
        await signIn(bound.url, account),
        { pkceCodeVerifier: bound.verifier, expectedState: bound.state },
        undefined,
        { DPoP },
      );
      assert.equal(tokens.token_type, 'dpop');
      assert.equal((await client.fetchUserInfo(rp, tokens.access_token, account.id, { DPoP })).sub, account.id);

      // Turned off again through the admin routes: a plain Bearer token is issued.
      const patched = await s.t.request<Api<'App'>>('PATCH', `/v1/admin/apps/${clientId}`, {
        token: s.admin,
        body: { requireDpop: false },
      });
      assert.equal(patched.body.requireDpop, false);
      const again = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope: 'openid email' });
      const bearer = await client.authorizationCodeGrant(rp, await signIn(again.url, account), {
        pkceCodeVerifier: again.verifier,
        expectedState: again.state,
      });
      assert.equal(bearer.token_type, 'bearer');
    });

    test("a DPoP-bound token reaches Lanyard's API with a proof for each request, and not without, with another key's, or with a replayed proof", async () => {
      const { rp } = await register({ requireDpop: true, scopes: ['openid', 'devices:read'] });
      const account = await s.t.signUp();
      const device = await s.t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN${Date.now()}`, model: 'Watch 2', name: 'Watch', kind: 'watch' },
      });
      assert.equal(device.status, 201, device.text);
      const resource = `${s.baseUrl}/v1`;
      const DPoP = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid devices:read',
        resource,
      });
      const tokens = await client.authorizationCodeGrant(
        rp,
        await signIn(url, account),
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource },
        { DPoP },
      );
      assert.equal(tokens.token_type, 'dpop');

      // openid-client sends "Authorization: DPoP <token>" and a fresh proof; the headers are kept to replay.
      let sent: Headers | undefined;
      rp[client.customFetch] = (input, init) => {
        sent = new Headers(init.headers);
        return fetch(input, init as RequestInit);
      };
      const devices = new URL(`${s.baseUrl}/v1/devices`);
      const listed = await client.fetchProtectedResource(
        rp,
        tokens.access_token,
        devices,
        'GET',
        undefined,
        undefined,
        { DPoP },
      );
      assert.equal(listed.status, 200, await listed.clone().text());
      assert.deepEqual(
        ((await listed.json()) as { devices: Array<{ id: string }> }).devices.map((d) => d.id),
        [device.body.device.id],
      );
      assert.match(sent!.get('authorization')!, /^DPoP /);
      assert.equal(
        (await client.fetchProtectedResource(rp, tokens.access_token, devices, 'GET', undefined, undefined, { DPoP }))
          .status,
        200,
        'a new proof each time',
      );

      const replayed = await s.t.request('GET', '/v1/devices', {
        headers: { authorization: sent!.get('authorization')!, dpop: sent!.get('dpop')! },
      });
      assert.equal(replayed.status, 401, 'a proof is good for one request');
      assert.match(String(replayed.headers['www-authenticate']), /^DPoP error="invalid_token"/);
      const asBearer = await s.t.request('GET', '/v1/devices', {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(asBearer.status, 401, 'a bound token is no Bearer token');
      const otherKey = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      // openid-client turns a challenge into an error that carries it.
      const challenged = (status: number, error: string) => (thrown: client.WWWAuthenticateChallengeError) =>
        thrown.status === status && thrown.cause.some((c) => c.scheme === 'dpop' && c.parameters.error === error);
      await assert.rejects(
        client.fetchProtectedResource(rp, tokens.access_token, devices, 'GET', undefined, undefined, {
          DPoP: otherKey,
        }),
        challenged(401, 'invalid_token'),
        "another key's proof",
      );
      const password = new URL(`${s.baseUrl}/v1/me/password`);
      const body = JSON.stringify({ currentPassword: 'x', newPassword: 'y' });
      await assert.rejects(
        client.fetchProtectedResource(
          rp,
          tokens.access_token,
          password,
          'POST',
          body,
          new Headers({ 'content-type': 'application/json' }),
          { DPoP },
        ),
        challenged(403, 'insufficient_scope'),
        'outside its scopes',
      );
    });

    test('an app that requires PAR is refused a plain authorization request and goes on with a pushed one, with DPoP too', async () => {
      const { rp, requirePar } = await register({ requirePar: true, requireDpop: true });
      assert.equal(requirePar, true);
      const account = await s.t.signUp();
      const plain = await authorizationRequest(rp, { redirect_uri: REDIRECT, scope: 'openid email' });
      const refused = await new Browser(s.baseUrl).go('GET', plain.url.href);
      const answer = new URL(refused.left!);
      assert.equal(answer.searchParams.get('error'), 'invalid_request');
      assert.match(answer.searchParams.get('error_description')!, /pushed authorization request/i);
      assert.equal(answer.searchParams.get('code'), null);

      const DPoP = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const pushed = await client.buildAuthorizationUrlWithPAR(
        rp,
        {
          redirect_uri: REDIRECT,
          scope: 'openid email',
          state,
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        },
        { DPoP },
      );
      assert.match(pushed.searchParams.get('request_uri')!, /^urn:ietf:params:oauth:request_uri:/);
      const tokens = await client.authorizationCodeGrant(
        rp,
        await signIn(pushed, account),
        { pkceCodeVerifier: verifier, expectedState: state },
        undefined,
        { DPoP },
      );
      assert.equal(tokens.token_type, 'dpop');
      assert.equal((await client.fetchUserInfo(rp, tokens.access_token, account.id, { DPoP })).email, account.email);
    });
  });
}
