import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { generate } from 'otplib';
import { testDatabases, type TestAccount } from '../testing/test-app.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// How the person signed in, told truly to the app (acr, amr), an app that asks for a second factor, and
// an authorization code that a wrong code_verifier burns: driven by openid-client.

const REDIRECT = 'https://pay.example.com/cb';
const ACR_2FA = 'urn:lanyard:acr:2fa';
const ACR_PASSWORD = 'urn:lanyard:acr:password';

for (const database of testDatabases()) {
  describe(`apps: second factor, acr/amr and single-try codes (${database})`, () => {
    let s: ListeningApp;
    let rp: client.Configuration;
    before(async () => {
      s = await startListeningApp(database);
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: { name: 'Pay', type: 'web', redirectUris: [REDIRECT], scopes: ['openid', 'email'] },
      });
      assert.equal(registered.status, 201, registered.text);
      rp = await relyingParty(s.baseUrl, registered.body.clientId, registered.body.clientSecret);
    });
    after(async () => s?.close());

    const totpCode = (secret: string) => generate({ secret, epoch: Math.floor(s.t.clock.now() / 1000) });
    /** The start of the next 30-second step: a code not used yet. */
    const nextStep = () => s.t.clock.advance(30_000 - (s.t.clock.now() % 30_000) + 1000);

    async function withTotp(account: TestAccount): Promise<string> {
      const started = await s.t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      assert.equal(started.status, 201, started.text);
      const confirmed = await s.t.request('POST', '/v1/me/totp/confirm', {
        token: account.token,
        body: { code: await totpCode(started.body.secret) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      nextStep();
      return started.body.secret;
    }

    test('with an authenticator enrolled, the sign-in asks for its code after the password, and acr/amr say a second factor was used', async () => {
      const account = await s.t.signUp();
      const secret = await withTotp(account);
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
      });
      const signIn = await browser.go('GET', url.href);
      const second = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      assert.match(second.text, /<h1>Second step<\/h1>/);
      const wrongCode = (await totpCode(secret)) === '000000' ? '111111' : '000000';
      const wrong = await browser.submit(second.text, /\/second-factor$/, { code: wrongCode });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /The code is wrong/);
      const consent = await browser.submit(wrong.text, /\/second-factor$/, { code: await totpCode(secret) });
      const back = await browser.submit(consent.text, /\/consent$/, { decision: 'allow' });
      const tokens = await client.authorizationCodeGrant(rp, new URL(back.left!), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.acr, ACR_2FA);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    });

    test('an app that asks for a second factor (acr_values) is told the truth when the person has none, and refused when it insists (essential acr)', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const asked = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
        acr_values: ACR_2FA,
      });
      const signIn = await browser.go('GET', asked.url.href);
      const consent = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const back = await browser.submit(consent.text, /\/consent$/, { decision: 'allow' });
      const tokens = await client.authorizationCodeGrant(rp, new URL(back.left!), {
        pkceCodeVerifier: asked.verifier,
        expectedState: asked.state,
      });
      assert.equal(tokens.claims()!.acr, ACR_PASSWORD, 'the password alone, as it was');
      assert.deepEqual(tokens.claims()!.amr, ['pwd']);

      const insisted = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
        claims: JSON.stringify({ id_token: { acr: { essential: true, value: ACR_2FA } } }),
      });
      const other = new Browser(s.baseUrl);
      const form = await other.go('GET', insisted.url.href);
      assert.match(form.text, /type="password"/);
      const refused = await other.submit(form.text, /\/login$/, { login: account.email!, password: account.password });
      const answer = new URL(refused.left!);
      assert.equal(answer.searchParams.get('error'), 'unmet_authentication_requirements');
      assert.equal(answer.searchParams.get('code'), null);
    });

    test('a wrong code_verifier burns the code: the right one afterwards gets nothing', async () => {
      const account = await s.t.signUp();
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: 'openid email',
      });
      const signIn = await browser.go('GET', url.href);
      const consent = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const back = new URL((await browser.submit(consent.text, /\/consent$/, { decision: 'allow' })).left!);
      await assert.rejects(
        client.authorizationCodeGrant(rp, back, {
          pkceCodeVerifier: client.randomPKCECodeVerifier(),
          expectedState: state,
        }),
        (error: client.ResponseBodyError) => error.error === 'invalid_grant',
      );
      await assert.rejects(
        client.authorizationCodeGrant(rp, back, { pkceCodeVerifier: verifier, expectedState: state }),
        (error: client.ResponseBodyError) => error.error === 'invalid_grant',
        'the code was burnt by the wrong try',
      );
    });
  });
}
