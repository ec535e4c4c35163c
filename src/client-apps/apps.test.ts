import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deleteAccount } from '../deletion/test-helpers.js';
import { assertProblem } from '../devices/test-factories.js';
import { startSmsReceiver, type SmsReceiver } from '../testing/receivers.js';
import {
  createTestApp,
  testDatabases,
  type TestAccount,
  type TestApp,
  type TestResponse,
} from '../testing/test-app.js';
import { createStaffMember } from '../testing/staff.js';
import type { Api } from '../testing/api-types.js';

const REDIRECT_URI = 'https://notes.example.com/callback';

// What the OpenID endpoints answer (RFC 6749, OpenID Connect): not part of the /v1 API's document.
interface TokenAnswer {
  token_type: string;
  access_token: string;
  id_token: string;
  refresh_token?: string;
}
interface OAuthError {
  error: string;
  error_description?: string;
}
interface UserInfo {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
}
interface Jwks {
  keys: Array<JsonWebKey & { kid: string }>;
}

/** The cookies a browser keeps between requests: set by Set-Cookie, dropped when cleared. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: TestResponse): void {
    const header = response.headers['set-cookie'];
    for (const line of Array.isArray(header) ? header : header ? [String(header)] : []) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const cleared =
        value === '' || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (cleared) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get all(): Record<string, string> {
    return Object.fromEntries(this.cookies);
  }
}

const form = (fields: Record<string, string>) => ({
  payload: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

for (const database of testDatabases()) {
  describe(`apps: OAuth 2 / OpenID Connect (${database})`, () => {
    let t: TestApp;
    let staff: string;
    let client: Api<'AppCreated'>;
    // The app's back-channel logout endpoint: a plain HTTP server that answers 200.
    let logoutReceiver: SmsReceiver;
    before(async () => {
      logoutReceiver = await startSmsReceiver();
      t = await createTestApp({ database });
      staff = (await createStaffMember(t, 'admin')).token;
      const registered = await t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: staff,
        body: {
          name: 'Notes Web',
          redirectUris: [REDIRECT_URI],
          scopes: ['openid', 'profile', 'email', 'offline_access'],
          backchannelLogoutUri: logoutReceiver.url,
        },
      });
      assert.equal(registered.status, 201, registered.text);
      client = registered.body;
    });
    after(async () => {
      await t.close();
      await logoutReceiver.close();
    });

    /** A browser request: cookies from the jar, new ones kept. */
    async function browse(
      jar: CookieJar,
      method: string,
      url: string,
      options: { payload?: string; headers?: Record<string, string> } = {},
    ) {
      const response = await t.request(method, url.replace(t.app.config.baseUrl, ''), { ...options, cookies: jar.all });
      jar.take(response);
      return response;
    }

    /** Follows redirects on this server until one leaves it (to the app) or a page is shown. */
    async function follow(jar: CookieJar, response: TestResponse): Promise<TestResponse> {
      let current = response;
      for (let hops = 0; hops < 10 && [302, 303].includes(current.status); hops++) {
        const location = String(current.headers.location);
        if (location.startsWith(REDIRECT_URI)) return current;
        current = await browse(jar, 'GET', location);
      }
      return current;
    }

    function authorizeUrl(scope: string) {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const state = randomBytes(8).toString('hex');
      const query = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope,
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        prompt: 'consent',
      });
      return { url: `/oauth/authorize?${query}`, verifier, state };
    }

    const basic = () =>
      `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`).toString('base64')}`;
    const tokenRequest = <T = TokenAnswer>(fields: Record<string, string>) =>
      t.request<T>('POST', '/oauth/token', {
        ...form(fields),
        headers: { ...form(fields).headers, authorization: basic() },
      });

    /** Signs in on the provider's page and allows access; returns the tokens the app gets. */
    async function signInWithLanyard(
      account: TestAccount & { email?: string },
      scope = 'openid email profile offline_access',
    ) {
      const jar = new CookieJar();
      const { url, verifier, state } = authorizeUrl(scope);
      const signInPage = await follow(jar, await browse(jar, 'GET', url));
      assert.equal(signInPage.status, 200, signInPage.text);
      assert.match(signInPage.text, /Sign in to continue to Notes Web/);
      const action = /action="([^"]+\/login)"/.exec(signInPage.text)![1]!;

      const wrong = await browse(jar, 'POST', action, form({ login: account.email!, password: 'not the password' }));
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /login or password is wrong/);

      const consentPage = await follow(
        jar,
        await browse(jar, 'POST', action, form({ login: account.email!, password: account.password })),
      );
      assert.equal(consentPage.status, 200, consentPage.text);
      assert.match(consentPage.text, /Notes Web wants to use your Lanyard account/);
      assert.match(consentPage.text, /See your email address/);
      assert.match(
        consentPage.text,
        /<a href="\/apps"[^>]*>The apps with access to your account<\/a>/,
        "the consent page links to the portal's apps page",
      );
      const consentAction = /action="([^"]+\/consent)"/.exec(consentPage.text)![1]!;
      const back = await follow(jar, await browse(jar, 'POST', consentAction, form({ decision: 'allow' })));
      const redirect = new URL(String(back.headers.location));
      assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI);
      assert.equal(redirect.searchParams.get('state'), state);
      const code = redirect.searchParams.get('code');
      assert.ok(code, `a code comes back: ${redirect}`);

      const tokens = await tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      });
      assert.equal(tokens.status, 200, tokens.text);
      assert.equal(tokens.body.token_type, 'Bearer');
      return { tokens: tokens.body, jar, code };
    }

    test('discovery names the endpoints under this server, with our scopes', async () => {
      const discovery = await t.request<Api<'OpenIdConfiguration'> & { scopes_supported: string[] }>(
        'GET',
        '/.well-known/openid-configuration',
      );
      assert.equal(discovery.status, 200, discovery.text);
      assert.equal(discovery.body.issuer, t.app.config.baseUrl);
      assert.equal(discovery.body.authorization_endpoint, `${t.app.config.baseUrl}/oauth/authorize`);
      assert.equal(discovery.body.token_endpoint, `${t.app.config.baseUrl}/oauth/token`);
      assert.ok(
        ['openid', 'email', 'phone', 'profile', 'offline_access'].every((s) =>
          discovery.body.scopes_supported.includes(s),
        ),
      );
      const jwks = await t.request<Jwks>('GET', '/oauth/jwks');
      assert.equal(jwks.status, 200);
      assert.equal(jwks.body.keys.length, 1);
      assert.equal(jwks.body.keys[0]?.d, undefined, 'the private part is never published');
    });

    test('a person signs in to an app, allows it, the app reads the claims; the person sees it and revokes it, and its tokens stop working', async () => {
      const account = await t.signUp({ name: 'Ana' });
      const { tokens, code } = await signInWithLanyard(account);
      const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString());
      assert.equal(claims.sub, account.id);
      assert.equal(claims.aud, client.clientId);
      assert.equal(claims.iss, t.app.config.baseUrl);
      const userinfo = await t.request<UserInfo>('GET', '/oauth/userinfo', {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(userinfo.status, 200, userinfo.text);
      assert.deepEqual(
        {
          sub: userinfo.body.sub,
          email: userinfo.body.email,
          email_verified: userinfo.body.email_verified,
          name: userinfo.body.name,
        },
        { sub: account.id, email: account.email, email_verified: true, name: 'Ana' },
      );
      assert.ok(tokens.refresh_token, 'offline_access with consent gives a refresh token');
      const reused = await tokenRequest({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: 'x'.repeat(43),
      });
      assert.equal(reused.status, 400, 'a code is single-use');

      const listed = await t.request<Api<'AppGrantList'>>('GET', '/v1/apps', { token: account.token });
      assert.equal(listed.status, 200, listed.text);
      assert.equal(listed.body.apps.length, 1);
      assert.equal(listed.body.apps[0]?.clientId, client.clientId);
      assert.equal(listed.body.apps[0]?.name, 'Notes Web');
      const [grant] = listed.body.apps;
      assert.ok(grant);
      assert.deepEqual([...grant.scopes].sort(), ['email', 'offline_access', 'openid', 'profile']);
      assert.ok(
        grant.lastUsedAt !== null && grant.lastUsedAt >= grant.grantedAt,
        'last used: when the app took its tokens for this person',
      );
      const summary = await t.request<Api<'DeletionSummary'>>('GET', '/v1/me/deletion', { token: account.token });
      assert.deepEqual(
        summary.body.apps.map((a: { clientId: string }) => a.clientId),
        [client.clientId],
        'deletion lists the app',
      );

      const stranger = await t.signUp();
      assertProblem(
        await t.request('DELETE', `/v1/apps/${client.clientId}`, { token: stranger.token }),
        404,
        'not_found',
      );
      const device = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN${randomBytes(4).toString('hex')}`, model: 'Redmi Note 13', name: 'Phone', kind: 'phone' },
      });
      assert.equal(device.status, 201, device.text);
      assertProblem(await t.request('GET', '/v1/apps', { token: device.body.deviceToken }), 403, 'forbidden');
      assertProblem(
        await t.request('DELETE', `/v1/apps/${client.clientId}`, { token: device.body.deviceToken }),
        403,
        'forbidden',
      );
      await t.drainJobs();
      const logoutsBefore = logoutReceiver.requests.length;
      assert.equal((await t.request('DELETE', `/v1/apps/${client.clientId}`, { token: account.token })).status, 204);
      await t.drainJobs();
      const told = logoutReceiver.requests.slice(logoutsBefore);
      assert.equal(told.length, 1, 'the app is told (back-channel logout) that the person revoked it');
      const revokedLogout = JSON.parse(
        Buffer.from(
          new URLSearchParams(String(told[0]!.body)).get('logout_token')!.split('.')[1]!,
          'base64url',
        ).toString(),
      );
      assert.equal(revokedLogout.sub, account.id);
      assert.equal(
        (await t.request('GET', '/oauth/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } }))
          .status,
        401,
        'the access token ended',
      );
      const refreshed = await tokenRequest<OAuthError>({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
      });
      assert.equal(refreshed.status, 400, 'the refresh token ended');
      assert.equal(refreshed.body.error, 'invalid_grant');
      assert.deepEqual(
        (await t.request<Api<'AppGrantList'>>('GET', '/v1/apps', { token: account.token })).body.apps,
        [],
      );
      assertProblem(
        await t.request('DELETE', `/v1/apps/${client.clientId}`, { token: account.token }),
        404,
        'not_found',
      );
    });

    test('a browser already signed in to Lanyard goes straight to consent, without a second sign-in', async () => {
      const account = await t.signUp();
      const { jar } = await signInWithLanyard(account, 'openid email');
      const { url } = authorizeUrl('openid email profile');
      const page = await follow(jar, await browse(jar, 'GET', url));
      assert.equal(page.status, 200, page.text);
      assert.match(page.text, /wants to use your Lanyard account/);
      assert.doesNotMatch(page.text, /type="password"/);
    });

    test('a person who denies access sends the app back with access_denied and grants nothing', async () => {
      const account = await t.signUp();
      const jar = new CookieJar();
      const { url, state } = authorizeUrl('openid email');
      const signInPage = await follow(jar, await browse(jar, 'GET', url));
      const action = /action="([^"]+\/login)"/.exec(signInPage.text)![1]!;
      const consentPage = await follow(
        jar,
        await browse(jar, 'POST', action, form({ login: account.email!, password: account.password })),
      );
      const consentAction = /action="([^"]+\/consent)"/.exec(consentPage.text)![1]!;
      const back = await follow(jar, await browse(jar, 'POST', consentAction, form({ decision: 'deny' })));
      const redirect = new URL(String(back.headers.location));
      assert.equal(redirect.searchParams.get('error'), 'access_denied');
      assert.equal(redirect.searchParams.get('state'), state);
      assert.deepEqual(
        (await t.request<Api<'AppGrantList'>>('GET', '/v1/apps', { token: account.token })).body.apps,
        [],
      );
    });

    test("deleting the account erases the app's grants and tokens, and the app gets a signed back-channel logout", async () => {
      const account = await t.signUp();
      const { tokens } = await signInWithLanyard(account, 'openid email');
      await t.drainJobs();
      const before = logoutReceiver.requests.length;
      await deleteAccount(t, account);
      await t.drainJobs();
      const posted = logoutReceiver.requests.slice(before);
      assert.equal(posted.length, 1, 'one logout for the one app');
      assert.equal(posted[0]!.method, 'POST');
      const logoutToken = new URLSearchParams(String(posted[0]!.body)).get('logout_token')!;
      const [header, claims, signature] = logoutToken.split('.');
      const jwks = (await t.request<Jwks>('GET', '/oauth/jwks')).body.keys;
      const { kid, alg } = JSON.parse(Buffer.from(header!, 'base64url').toString());
      assert.equal(alg, 'RS256');
      const jwk = jwks.find((k) => k.kid === kid);
      assert.ok(jwk, 'the token names a published key');
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      assert.ok(
        verify('sha256', Buffer.from(`${header}.${claims}`), key, Buffer.from(signature!, 'base64url')),
        'signed by the provider',
      );
      const logout = JSON.parse(Buffer.from(claims!, 'base64url').toString());
      assert.equal(logout.sub, account.id);
      assert.equal(logout.aud, client.clientId);
      assert.equal(logout.iss, t.app.config.baseUrl);
      assert.ok('http://schemas.openid.net/event/backchannel-logout' in logout.events);
      assert.equal(logout.nonce, undefined);
      assert.equal(
        (await t.request('GET', '/oauth/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } }))
          .status,
        401,
      );
      const left = await t.app.database.db
        .selectFrom('oidc_records')
        .select('model')
        .where('account_id', '=', account.id)
        .execute();
      assert.deepEqual(left, []);
    });

    test("the sweep deletes the provider's expired records and keeps the live ones", async () => {
      const db = t.app.database.db;
      const record = (id: string, expiresAt: number | null) => ({
        model: 'AccessToken',
        id,
        payload: '{}',
        account_id: null,
        client_id: null,
        grant_id: null,
        uid: null,
        user_code: null,
        expires_at: expiresAt,
        consumed_at: null,
      });
      await db
        .insertInto('oidc_records')
        .values([
          record('expired-token', Date.now() - 1000),
          record('live-token', Date.now() + 3_600_000),
          record('lasting-token', null),
        ])
        .execute();
      assert.ok((await t.app.services.apps.sweepExpired()) >= 1);
      const left = await db
        .selectFrom('oidc_records')
        .select('id')
        .where('id', 'in', ['expired-token', 'live-token', 'lasting-token'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        left.map((r) => r.id),
        ['lasting-token', 'live-token'],
      );
    });

    test('only staff register apps, with https redirect URIs, known scopes and openid', async () => {
      const user = await t.signUp();
      const valid = { name: 'Shop', redirectUris: ['https://shop.example.com/cb'], scopes: ['openid'] };
      assertProblem(await t.request('POST', '/v1/admin/apps', { token: user.token, body: valid }), 403, 'forbidden');
      assertProblem(await t.request('POST', '/v1/admin/apps', { body: valid }), 401, 'unauthenticated');
      for (const body of [
        { ...valid, redirectUris: ['http://shop.example.com/cb'] },
        { ...valid, redirectUris: ['https://shop.example.com/cb#x'] },
        { ...valid, redirectUris: ['not a url'] },
        { ...valid, redirectUris: [] },
        { ...valid, scopes: ['email'] },
        { ...valid, scopes: ['openid', 'admin'] },
        { ...valid, name: '' },
        { ...valid, extra: true },
      ]) {
        assertProblem(await t.request('POST', '/v1/admin/apps', { token: staff, body }), 400, 'validation_failed');
      }
      const local = await t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: staff,
        body: { ...valid, redirectUris: ['http://127.0.0.1:3000/cb'] },
      });
      assert.equal(local.status, 201, 'http is allowed for this machine');
      assert.notEqual(local.body.clientSecret, client.clientSecret);
      assert.equal(local.body.backchannelLogoutUri, null);
      assertProblem(
        await t.request('POST', '/v1/admin/apps', {
          token: staff,
          body: { ...valid, backchannelLogoutUri: 'http://shop.example.com/logout' },
        }),
        400,
        'validation_failed',
      );
      assertProblem(await t.request('GET', '/v1/apps'), 401, 'unauthenticated');
      assertProblem(await t.request('DELETE', '/v1/apps/bad%20id', { token: user.token }), 400, 'validation_failed');
    });
  });
}
