import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { assertProblem } from '../devices/test-factories.js';
import { createStaffMember } from '../testing/staff.js';
import { testDatabases } from '../testing/test-app.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// The admin's app routes (API.md): list with use, read, change, disable, rotate the secret, delete.

/** The token endpoint's answer to a client it does not accept: 401 invalid_client, with its challenge. */
const refusedClient = (error: unknown) =>
  error instanceof client.WWWAuthenticateChallengeError
    ? error.cause.some((c) => c.parameters.error === 'invalid_client')
    : (error as client.ResponseBodyError).error === 'invalid_client';

for (const database of testDatabases()) {
  describe(`apps: admin routes (${database})`, () => {
    let s: ListeningApp;
    before(async () => {
      s = await startListeningApp(database);
    });
    after(async () => s?.close());

    test('an admin creates, lists (with accounts and last use), edits, disables, rotates the secret of and deletes an app', async () => {
      const created = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Shop',
          redirectUris: ['https://shop.example.com/cb'],
          postLogoutRedirectUris: ['https://shop.example.com/bye'],
          scopes: ['openid', 'email'],
        },
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.type, 'web');
      assert.equal(created.body.firstParty, false);
      assert.deepEqual(created.body.postLogoutRedirectUris, ['https://shop.example.com/bye']);
      const { clientId, clientSecret } = created.body;

      // One person signs in with it.
      const account = await s.t.signUp();
      const rp = await relyingParty(s.baseUrl, clientId, clientSecret);
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: 'https://shop.example.com/cb',
        scope: 'openid email',
      });
      const signIn = await browser.go('GET', url.href);
      const consent = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const back = await browser.submit(consent.text, /\/consent$/, { decision: 'allow' });
      await client.authorizationCodeGrant(rp, new URL(back.left!), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });

      const listed = await s.t.request<Api<'AppList'>>('GET', '/v1/admin/apps', { token: s.admin });
      assert.equal(listed.status, 200, listed.text);
      const shop = listed.body.apps.find((a) => a.clientId === clientId);
      assert.ok(shop);
      assert.equal(shop.accounts, 1);
      assert.ok(shop.lastUsedAt, 'last use is the token exchange');
      assert.equal('clientSecret' in shop, false, 'the secret is never listed');

      const patched = await s.t.request<Api<'App'>>('PATCH', `/v1/admin/apps/${clientId}`, {
        token: s.admin,
        body: { name: 'Shop 2', firstParty: true, logoUri: 'https://shop.example.com/logo.png', requirePar: true },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.name, 'Shop 2');
      assert.equal(patched.body.firstParty, true);
      assert.equal(patched.body.requirePar, true);
      assert.equal(
        (await s.t.request<Api<'App'>>('GET', `/v1/admin/apps/${clientId}`, { token: s.admin })).body.logoUri,
        'https://shop.example.com/logo.png',
      );
      // PAR required: a plain authorization request is refused, a pushed one goes on.
      const parRp = await relyingParty(s.baseUrl, clientId, clientSecret);
      const plain = await authorizationRequest(parRp, { redirect_uri: 'https://shop.example.com/cb', scope: 'openid' });
      const refused = await browser.go('GET', plain.url.href);
      assert.equal(new URL(refused.left!).searchParams.get('error'), 'invalid_request');
      const verifier2 = client.randomPKCECodeVerifier();
      const pushed = await client.buildAuthorizationUrlWithPAR(parRp, {
        redirect_uri: 'https://shop.example.com/cb',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier2),
        code_challenge_method: 'S256',
      });
      assert.match(pushed.searchParams.get('request_uri')!, /^urn:ietf:params:oauth:request_uri:/);
      const viaPar = await browser.go('GET', pushed.href);
      assert.ok(
        viaPar.left?.startsWith('https://shop.example.com/cb?code='),
        'first-party now, and signed in: straight back with a code',
      );

      assertProblem(
        await s.t.request('PATCH', `/v1/admin/apps/${clientId}`, {
          token: s.admin,
          body: { redirectUris: ['http://shop.example.com/cb'] },
        }),
        400,
        'validation_failed',
      );

      const rotated = await s.t.request<Api<'ClientSecret'>>('POST', `/v1/admin/apps/${clientId}/secret`, {
        token: s.admin,
      });
      assert.equal(rotated.status, 200, rotated.text);
      assert.notEqual(rotated.body.clientSecret, clientSecret);
      const stale = await relyingParty(s.baseUrl, clientId, clientSecret);
      await assert.rejects(
        client.tokenIntrospection(stale, 'not-a-token'),
        refusedClient,
        'the old secret no longer authenticates',
      );
      const fresh = await relyingParty(s.baseUrl, clientId, rotated.body.clientSecret);
      assert.equal(
        (await client.tokenIntrospection(fresh, 'not-a-token')).active,
        false,
        'the new secret authenticates',
      );

      const disabled = await s.t.request<Api<'App'>>('PATCH', `/v1/admin/apps/${clientId}`, {
        token: s.admin,
        body: { disabled: true },
      });
      assert.equal(disabled.body.disabled, true);
      await assert.rejects(client.tokenIntrospection(fresh, 'not-a-token'), refusedClient, 'a disabled app is unknown');

      assert.equal((await s.t.request('DELETE', `/v1/admin/apps/${clientId}`, { token: s.admin })).status, 204);
      assertProblem(await s.t.request('GET', `/v1/admin/apps/${clientId}`, { token: s.admin }), 404, 'not_found');
      assert.deepEqual(
        (await s.t.request<Api<'AppGrantList'>>('GET', '/v1/apps', { token: account.token })).body.apps,
        [],
        'its grants went with it',
      );
      assertProblem(await s.t.request('DELETE', `/v1/admin/apps/${clientId}`, { token: s.admin }), 404, 'not_found');
    });

    test('public apps have no secret to rotate; native apps take RFC 8252 redirect URIs and refuse others; support and people are refused', async () => {
      const native = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Notes',
          type: 'native',
          redirectUris: [
            'com.example.notes:/cb',
            'https://notes.example.com/app',
            'http://127.0.0.1/cb',
            'http://[::1]/cb',
          ],
          scopes: ['openid'],
        },
      });
      assert.equal(native.status, 201, native.text);
      assert.equal(native.body.clientSecret, null);
      assertProblem(
        await s.t.request('POST', `/v1/admin/apps/${native.body.clientId}/secret`, { token: s.admin }),
        409,
        'conflict',
      );
      for (const uri of ['notes:/cb', 'http://notes.example.com/cb', 'javascript:alert(1)']) {
        assertProblem(
          await s.t.request('POST', '/v1/admin/apps', {
            token: s.admin,
            body: { name: 'Bad', type: 'native', redirectUris: [uri], scopes: ['openid'] },
          }),
          400,
          'validation_failed',
        );
      }
      assertProblem(
        await s.t.request('POST', '/v1/admin/apps', {
          token: s.admin,
          body: { name: 'Bad', type: 'spa', redirectUris: ['com.example.notes:/cb'], scopes: ['openid'] },
        }),
        400,
        'validation_failed',
      );

      const support = (await createStaffMember(s.t, 'support')).token;
      const person = await s.t.signUp();
      for (const token of [support, person.token]) {
        assertProblem(await s.t.request('GET', '/v1/admin/apps', { token }), 403, 'forbidden');
        assertProblem(
          await s.t.request('PATCH', `/v1/admin/apps/${native.body.clientId}`, { token, body: { name: 'x' } }),
          403,
          'forbidden',
        );
        assertProblem(
          await s.t.request('DELETE', `/v1/admin/apps/${native.body.clientId}`, { token }),
          403,
          'forbidden',
        );
        assertProblem(
          await s.t.request('POST', `/v1/admin/apps/${native.body.clientId}/secret`, { token }),
          403,
          'forbidden',
        );
      }
    });
  });
}
