import assert from 'node:assert/strict';
import { before } from 'node:test';
import * as client from 'openid-client';
import { authorizationRequest, Browser, relyingParty } from '../client-apps/test-relying-party.js';
import { createStaffMember } from '../testing/staff.js';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage, tabTo } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    apps: 'Apps',
    appsTitle: 'Apps with access',
    seeEmail: 'See your email address',
    keepAccess: 'Keep access while you are away (until you revoke it)',
    lastUsed: 'last used',
    revoke: 'Revoke access for Notes Web',
    confirmTitle: 'Revoke access for Notes Web?',
    confirm: 'Yes, revoke access',
    cancel: 'Cancel',
    revoked: 'Notes Web no longer has access to your account.',
    none: 'No app has access to your account.',
    credits: 'Credits',
    balance: '6,800 credits',
    granted: 'Granted',
    spent: 'Spent',
    older: 'Show older entries',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    apps: 'Apps',
    appsTitle: 'Apps con acceso',
    seeEmail: 'Ver tu dirección de correo',
    keepAccess: 'Mantener el acceso cuando no estés (hasta que lo revoques)',
    lastUsed: 'último uso',
    revoke: 'Revocar el acceso de Notes Web',
    confirmTitle: '¿Revocar el acceso de Notes Web?',
    confirm: 'Sí, revocar el acceso',
    cancel: 'Cancelar',
    revoked: 'Notes Web ya no tiene acceso a tu cuenta.',
    none: 'Ninguna app tiene acceso a tu cuenta.',
    credits: 'Créditos',
    balance: '6800 créditos',
    granted: 'Concedidos',
    spent: 'Gastados',
    older: 'Ver movimientos anteriores',
  },
} as const;

describePortal('portal: apps with access and the credits wallet in Chromium', (suite) => {
  let admin: string;
  let app: Api<'AppCreated'>;
  // After describePortal's own hook, which starts the portal.
  before(async () => {
    const { portal } = suite;
    admin = (await createStaffMember(portal.t, 'admin')).token;
    const registered = await portal.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
      token: admin,
      body: {
        name: 'Notes Web',
        redirectUris: ['https://notes.example.com/cb'],
        scopes: ['openid', 'email', 'offline_access'],
      },
    });
    assert.equal(registered.status, 201, registered.text);
    app = registered.body;
  });

  /** The person signs in to Notes Web with Lanyard and allows it (the provider's own pages), and the app takes its tokens. */
  async function letTheAppIn(account: { email: string; password: string }) {
    const { portal } = suite;
    const rp = await relyingParty(portal.baseUrl, app.clientId, app.clientSecret);
    const browser = new Browser(portal.baseUrl);
    const { url, verifier, state } = await authorizationRequest(rp, {
      redirect_uri: 'https://notes.example.com/cb',
      scope: 'openid email offline_access',
      prompt: 'consent',
    });
    const signIn = await browser.go('GET', url.href);
    const consent = await browser.submit(signIn.text, /\/login$/, { login: account.email, password: account.password });
    const back = await browser.submit(consent.text, /\/consent$/, { decision: 'allow' });
    await client.authorizationCodeGrant(rp, new URL(back.left!), { pkceCodeVerifier: verifier, expectedState: state });
  }

  suite.each(
    'the app in plain words, last used, revoked after a confirmation; the balance and its history page by page',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      await letTheAppIn(account);
      // 55 entries: more than one page of history (50).
      for (let i = 0; i < 54; i += 1) {
        const grant = await t.request('POST', `/v1/admin/accounts/${account.id}/credits`, {
          token: admin,
          body: { amount: 100 + i, reason: `Welcome gift ${i}`, idempotencyKey: `gift-${account.id}-${i}` },
        });
        assert.equal(grant.status, 201, grant.text);
      }
      const take = await t.request('POST', `/v1/admin/accounts/${account.id}/credits`, {
        token: admin,
        body: { amount: -31, reason: 'Correction', idempotencyKey: `fix-${account.id}` },
      });
      assert.equal(take.status, 201, take.text);

      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.apps);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.appsTitle }).waitFor();
      const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Notes Web' }) });
      await item.getByText(words.seeEmail).waitFor();
      await item.getByText(words.keepAccess).waitFor();
      await item.getByText(words.lastUsed, { exact: false }).waitFor();
      await expectNoAxeViolations(page, `apps (${language}, ${viewport})`);
      await screenshot(page, 'apps', language, viewport);

      // Cancel keeps it; confirming revokes it.
      await tabTo(page, 'button', words.revoke);
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('alertdialog', { name: words.confirmTitle });
      await dialog.waitFor();
      await expectNoAxeViolations(page, `apps confirm (${language}, ${viewport})`);
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      assert.equal(
        (
          await t.request<Api<'AppGrantList'>>('GET', '/v1/apps', {
            token: (
              await t.request<BearerSession>('POST', '/v1/sessions', {
                body: { login: account.email, password: account.password, kind: 'api' },
              })
            ).body.token,
          })
        ).body.apps.length,
        1,
        'Cancel (the focused button) kept it',
      );
      await tabTo(page, 'button', words.revoke);
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      await tabTo(page, 'button', words.confirm);
      await page.keyboard.press('Enter');
      await page.getByText(words.revoked).waitFor();
      await page.getByText(words.none).waitFor();

      await tabTo(page, 'link', words.credits);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.credits }).waitFor();
      await page.getByText(words.balance, { exact: true }).waitFor();
      const history = page.getByRole('listitem');
      await history.filter({ hasText: 'Correction' }).filter({ hasText: words.spent }).getByText('-31').waitFor();
      assert.equal(await history.count(), 50);
      await expectNoAxeViolations(page, `credits (${language}, ${viewport})`);
      await screenshot(page, 'credits', language, viewport);
      await tabTo(page, 'button', words.older, 80);
      await page.keyboard.press('Enter');
      await history
        .filter({ hasText: 'Welcome gift 0' })
        .filter({ hasText: words.granted })
        .getByText('+100')
        .waitFor();
      assert.equal(await history.count(), 55);
      assert.equal(await page.getByRole('button', { name: words.older }).count(), 0, 'no older page after the last');
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
