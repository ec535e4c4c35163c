import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import * as openid from 'openid-client';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { createStaffMember } from '../testing/staff.js';
import { assertChromiumInstalled, launchChromium } from '../testing/chromium.js';
import { freePort } from '../testing/free-port.js';
import { relyingParty } from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// The sign-in and consent pages in a real browser (Debian's Chromium): what a person sees when an app
// sends them to "Sign in with Lanyard", the forms they fill in, and the way back to the app.

const REDIRECT_URI = 'https://notes.example.com/callback';

for (const database of testDatabases()) {
  describe(`apps: sign-in and consent pages in Chromium (${database})`, () => {
    let t: TestApp;
    let browser: Browser;
    let baseUrl: string;
    let client: Api<'AppCreated'>;
    let staff: string;
    // LANYARD_TEST_SCREENSHOTS=folder keeps a picture of each page there.
    const screenshots = process.env.LANYARD_TEST_SCREENSHOTS;
    const picture = async (page: Page, name: string) => {
      if (screenshots) await page.screenshot({ path: path.join(screenshots, `${name}-${database}.png`) });
    };

    before(async () => {
      assertChromiumInstalled();
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      t = await createTestApp({ database, env: { LANYARD_PORT: String(port), LANYARD_BASE_URL: baseUrl } });
      await t.app.http.listen({ port, host: '127.0.0.1' });
      browser = await launchChromium();
      staff = (await createStaffMember(t, 'admin')).token;
      client = (
        await t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
          token: staff,
          body: { name: 'Notes Web', redirectUris: [REDIRECT_URI], scopes: ['openid', 'email'] },
        })
      ).body;
    });
    after(async () => {
      await browser?.close();
      await t?.close();
    });

    test('a person signs in with a typo, then rightly, allows the app, and lands back in the app with a code it can redeem', async () => {
      const account = await t.signUp({ name: 'Ana' });
      const page = await browser.newPage();
      // The app's own site: the browser ends there, and the test reads the code from its URL.
      let landed: URL | undefined;
      await page.route('https://notes.example.com/**', async (route) => {
        landed = new URL(route.request().url());
        await route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>Notes Web</h1>' });
      });
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const query = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid email',
        state: 's-123',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      await page.goto(`${baseUrl}/oauth/authorize?${query}`);

      assert.equal(await page.title(), 'Sign in · Lanyard');
      assert.equal(await page.locator('h1').textContent(), 'Sign in to continue to Notes Web');
      await picture(page, 'sign-in');
      await page.getByLabel('Email, phone or account id').fill(account.email!);
      await page.getByLabel('Password').fill('a wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.equal(await page.getByRole('alert').textContent(), 'The login or password is wrong.');

      await page.getByLabel('Email, phone or account id').fill(account.email!);
      await page.getByLabel('Password').fill(account.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/oauth\/interaction\//);
      assert.equal(await page.locator('h1').textContent(), 'Notes Web wants to use your Lanyard account');
      assert.deepEqual(await page.locator('li').allTextContents(), [
        'Know who you are (your Lanyard account id)',
        'See your email address',
      ]);
      await picture(page, 'consent');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(/notes\.example\.com/);

      assert.ok(landed, 'the browser came back to the app');
      assert.equal(landed.searchParams.get('state'), 's-123');
      const code = landed.searchParams.get('code')!;
      const tokens = await fetch(`${baseUrl}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          code_verifier: verifier,
        }),
      });
      assert.equal(tokens.status, 200, await tokens.clone().text());
      const { access_token } = (await tokens.json()) as { access_token: string };
      const userinfo = (await (
        await fetch(`${baseUrl}/oauth/userinfo`, { headers: { authorization: `Bearer ${access_token}` } })
      ).json()) as { sub: string; email: string };
      assert.deepEqual({ sub: userinfo.sub, email: userinfo.email }, { sub: account.id, email: account.email });

      // The browser is now signed in to Lanyard too (its web session cookie), as a person would expect.
      const cookies = await page.context().cookies(baseUrl);
      const session = cookies.find((c) => c.name === 'lanyard_session');
      assert.ok(session, 'a Lanyard web session cookie');
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      await page.close();
    });

    test('a watch shows a code; the person enters it at /activate, signs in and allows it, and the watch polling gets its tokens; a cancelled one gets access_denied', async () => {
      const watch = (
        await t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
          token: staff,
          body: {
            name: 'Lanyard Watch',
            type: 'native',
            redirectUris: ['com.example.watch:/cb'],
            scopes: ['openid', 'profile'],
          },
        })
      ).body;
      const rp = await relyingParty(baseUrl, watch.clientId);
      const account = await t.signUp({ name: 'Noa' });
      const started = await openid.initiateDeviceAuthorization(rp, { scope: 'openid profile' });
      assert.equal(started.verification_uri, `${baseUrl}/activate`);
      assert.match(started.user_code, /^[A-Z]{4}-[A-Z]{4}$/);

      // The watch polls too soon: told to slow down.
      const poll = () =>
        fetch(`${baseUrl}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
            device_code: started.device_code,
            client_id: watch.clientId,
          }),
        }).then((r) => r.json() as Promise<{ error?: string }>);
      assert.equal((await poll()).error, 'authorization_pending');
      assert.equal((await poll()).error, 'slow_down');

      const page = await browser.newPage();
      await page.goto(started.verification_uri);
      assert.equal(await page.locator('h1').textContent(), 'Connect a device');
      await page.getByLabel('Code').fill('BCDF-GHJK');
      await page.getByRole('button', { name: 'Continue' }).click();
      assert.match((await page.getByRole('alert').textContent())!, /wrong or has expired/);
      await page.getByLabel('Code').fill(started.user_code.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      assert.equal(await page.locator('h1').textContent(), 'Connect Lanyard Watch to your Lanyard account?');
      assert.equal(await page.locator('code').textContent(), started.user_code);
      await picture(page, 'activate-confirm');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Email, phone or account id').fill(account.email!);
      await page.getByLabel('Password').fill(account.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      assert.equal(await page.locator('h1').textContent(), 'Lanyard Watch wants to use your Lanyard account');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForSelector('text=Lanyard Watch is connected');
      await picture(page, 'activate-done');

      const tokens = await openid.pollDeviceAuthorizationGrant(rp, started);
      assert.equal(tokens.claims()!.sub, account.id);
      assert.equal((await openid.fetchUserInfo(rp, tokens.access_token, account.id)).name, 'Noa');

      // Another request, cancelled on the confirmation page: the watch is told access_denied.
      const denied = await openid.initiateDeviceAuthorization(rp, { scope: 'openid' });
      await page.goto(denied.verification_uri_complete!);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await assert.rejects(
        openid.pollDeviceAuthorizationGrant(rp, denied),
        (error: openid.ResponseBodyError) => error.error === 'access_denied',
      );

      // A code nobody entered in time: expired_token (its expiry moved to the past, as time would).
      const late = await openid.initiateDeviceAuthorization(rp, { scope: 'openid' });
      const record = await t.app.database.db
        .selectFrom('oidc_records')
        .select(['id', 'payload'])
        .where('model', '=', 'DeviceCode')
        .where('user_code', '=', late.user_code.replace('-', ''))
        .executeTakeFirstOrThrow();
      const payload = { ...JSON.parse(record.payload), exp: Math.floor(Date.now() / 1000) - 1 };
      await t.app.database.db
        .updateTable('oidc_records')
        .set({ payload: JSON.stringify(payload), expires_at: null })
        .where('model', '=', 'DeviceCode')
        .where('id', '=', record.id)
        .execute();
      await assert.rejects(
        openid.pollDeviceAuthorizationGrant(rp, late),
        (error: openid.ResponseBodyError) => error.error === 'expired_token',
      );
      await page.close();
    });
  });
}
