import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as openid from 'openid-client';
import type { Page } from 'playwright-core';
import {
  flowPairs,
  accountIn,
  expectNoAxeViolations,
  screenshot,
  startPortal,
  tabTo,
  type Portal,
} from '../portal/browser.js';
import { createStaffMember } from '../testing/staff.js';
import { testDatabases } from '../testing/test-app.js';
import { PORTAL_TOKENS } from './pages.js';
import { relyingParty } from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// The provider's own pages (sign-in, consent, /activate, sign-out) in the portal's look, in Chromium:
// in English and Spanish, at 360 px and on a desktop, driven by the keyboard alone, axe-clean.

/** A web site that answers every page with a heading: where the browser lands back in the app. */
async function startSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="en"><title>Shop</title><h1>Shop</h1></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const words = {
  en: {
    signInTitle: 'Sign in · Lanyard',
    signInTo: 'Sign in to continue to Shop',
    login: 'Email, phone or account id',
    password: 'Password',
    signIn: 'Sign in',
    wants: 'Shop wants to use your Lanyard account',
    scopes: ['Know who you are (your Lanyard account id)', 'See your email address'],
    allow: 'Allow',
    activate: 'Connect a device',
    code: 'Code',
    continue: 'Continue',
    confirm: 'Connect Watch to your Lanyard account?',
    watchWants: 'Watch wants to use your Lanyard account',
    done: 'Watch is connected',
    signOut: 'Sign out of Lanyard and Shop?',
    signOutYes: 'Yes, sign me out',
  },
  es: {
    signInTitle: 'Iniciar sesión · Lanyard',
    signInTo: 'Inicia sesión para continuar en Shop',
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    signIn: 'Iniciar sesión',
    wants: 'Shop quiere usar tu cuenta Lanyard',
    scopes: ['Saber quién eres (el id de tu cuenta Lanyard)', 'Ver tu dirección de correo'],
    allow: 'Permitir',
    activate: 'Conectar un dispositivo',
    code: 'Código',
    continue: 'Continuar',
    confirm: '¿Conectar Watch a tu cuenta Lanyard?',
    watchWants: 'Watch quiere usar tu cuenta Lanyard',
    done: 'Watch está conectado',
    signOut: '¿Cerrar la sesión de Lanyard y de Shop?',
    signOutYes: 'Sí, cerrar sesión',
  },
} as const;

/** What a page looks like where it matters: the portal's colours and type, and nothing wider than the screen. */
async function assertPortalLook(page: Page, where: string) {
  // A string, not a function: the test's compiler would wrap a function's inner helpers in names the page lacks.
  const look = (await page.evaluate(`(() => {
    const style = (selector) => { const element = document.querySelector(selector); return element ? getComputedStyle(element) : undefined; };
    return {
      background: style('body')?.backgroundColor,
      brand: document.querySelector('header .brand')?.textContent,
      card: style('.card')?.borderRadius,
      button: style('button.button:not([data-variant])')?.backgroundColor,
      buttonHeight: document.querySelector('button.button')?.getBoundingClientRect().height,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
    };
  })()`)) as {
    background?: string;
    brand?: string;
    card?: string;
    button?: string;
    buttonHeight?: number;
    overflow: number;
  };
  assert.equal(look.background, 'rgb(246, 247, 249)', `${where}: the portal's background`);
  assert.equal(look.brand, 'Lanyard', `${where}: the portal's header`);
  assert.equal(look.card, '10px', `${where}: the portal's card`);
  if (look.button !== undefined) {
    assert.equal(look.button, 'rgb(36, 71, 184)', `${where}: the portal's accent`);
    assert.ok(look.buttonHeight! >= 44, `${where}: buttons big enough to tap`);
  }
  assert.ok(look.overflow <= 0, `${where}: no sideways scrolling (${look.overflow} px too wide)`);
}

test("the provider pages carry the portal's design tokens, light and dark", () => {
  const tokens = fs.readFileSync(path.resolve(import.meta.dirname, '../../web/src/shared/ui/tokens.css'), 'utf8');
  const blocks = [...tokens.matchAll(/:root\s*\{([^}]*)\}/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 2, 'light and dark');
  for (const block of blocks) {
    for (const [, name, value] of block.matchAll(/(--[a-z0-9-]+):\s*([^;]+);/g)) {
      if (/^--color-warn/.test(name!)) continue; // not used by these pages
      assert.ok(
        PORTAL_TOKENS.includes(`${name}:${value!.trim()}`),
        `${name}: ${value} is in the provider pages' tokens`,
      );
    }
  }
});

for (const database of testDatabases()) {
  describe(`apps: the provider's pages in the portal's look, in Chromium (${database})`, () => {
    let portal: Portal;
    let shop: Api<'AppCreated'>;
    let watch: { clientId: string };

    // The app's own site, on this machine (http on the loopback address, which apps may use).
    let shopSite: { url: string; close(): Promise<void> };

    before(async () => {
      shopSite = await startSite();
      portal = await startPortal(database);
      const admin = (await createStaffMember(portal.t, 'admin')).token;
      const register = async (body: Record<string, unknown>) => {
        const registered = await portal.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', { token: admin, body });
        assert.equal(registered.status, 201, registered.text);
        return registered.body;
      };
      shop = await register({
        name: 'Shop',
        redirectUris: [`${shopSite.url}/cb`],
        postLogoutRedirectUris: [`${shopSite.url}/bye`],
        scopes: ['openid', 'email'],
      });
      watch = await register({
        name: 'Watch',
        type: 'native',
        redirectUris: ['com.example.watch:/cb'],
        scopes: ['openid', 'profile'],
      });
    });
    after(async () => {
      await portal?.close();
      await shopSite?.close();
    });

    for (const { language, viewport } of flowPairs()) {
      test(`${language}, ${viewport}: sign-in, consent, /activate and sign-out, keyboard only, axe-clean`, async () => {
        const w = words[language];
        const account = await accountIn(portal.t, language);
        const { context, page, problems } = await portal.context(language, viewport);
        const shopRp = await relyingParty(portal.baseUrl, shop.clientId, shop.clientSecret);
        const verifier = openid.randomPKCECodeVerifier();
        const url = openid.buildAuthorizationUrl(shopRp, {
          redirect_uri: `${shopSite.url}/cb`,
          scope: 'openid email',
          state: 'st',
          code_challenge: await openid.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        });

        // Sign-in page.
        await page.goto(url.href);
        await page.getByRole('heading', { level: 1, name: w.signInTo }).waitFor();
        assert.equal(await page.title(), w.signInTitle);
        await assertPortalLook(page, 'sign-in');
        await expectNoAxeViolations(page, `app sign-in (${language}, ${viewport})`);
        await screenshot(page, 'app-sign-in', language, viewport);
        await tabTo(page, 'textbox', w.login);
        await page.keyboard.type(account.email);
        await page.keyboard.press('Tab');
        await page.keyboard.type(account.password);
        await page.keyboard.press('Enter');

        // Consent page: the scopes in plain words, the buttons reached by Tab.
        await page.getByRole('heading', { level: 1, name: w.wants }).waitFor();
        assert.deepEqual(await page.locator('main li').allTextContents(), w.scopes);
        await assertPortalLook(page, 'consent');
        await expectNoAxeViolations(page, `consent (${language}, ${viewport})`);
        await screenshot(page, 'app-consent', language, viewport);
        await tabTo(page, 'button', w.allow);
        await page.keyboard.press('Enter');
        await page.waitForURL(`${shopSite.url}/cb?**`);
        const landed = new URL(page.url());
        assert.equal(landed.searchParams.get('state'), 'st');
        const tokens = await openid.authorizationCodeGrant(shopRp, landed, {
          pkceCodeVerifier: verifier,
          expectedState: 'st',
        });

        // /activate: the watch's code typed in, confirmed, allowed; the watch gets its tokens.
        const watchRp = await relyingParty(portal.baseUrl, watch.clientId);
        const started = await openid.initiateDeviceAuthorization(watchRp, { scope: 'openid profile' });
        await page.goto(started.verification_uri);
        await page.getByRole('heading', { level: 1, name: w.activate }).waitFor();
        await assertPortalLook(page, '/activate');
        await expectNoAxeViolations(page, `/activate (${language}, ${viewport})`);
        await screenshot(page, 'activate', language, viewport);
        await tabTo(page, 'textbox', w.code);
        await page.keyboard.type(started.user_code);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: w.confirm }).waitFor();
        assert.equal(await page.locator('code').textContent(), started.user_code);
        await assertPortalLook(page, '/activate confirmation');
        await expectNoAxeViolations(page, `/activate confirmation (${language}, ${viewport})`);
        await screenshot(page, 'activate-confirm', language, viewport);
        await tabTo(page, 'button', w.continue);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: w.watchWants }).waitFor();
        await tabTo(page, 'button', w.allow);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: w.done }).waitFor();
        await assertPortalLook(page, '/activate done');
        await expectNoAxeViolations(page, `/activate done (${language}, ${viewport})`);
        assert.equal((await openid.pollDeviceAuthorizationGrant(watchRp, started)).claims()!.sub, account.id);

        // Signing out through the app: the question, in the same look.
        await page.goto(
          openid.buildEndSessionUrl(shopRp, {
            id_token_hint: tokens.id_token!,
            post_logout_redirect_uri: `${shopSite.url}/bye`,
          }).href,
        );
        await page.getByRole('heading', { level: 1, name: w.signOut }).waitFor();
        await assertPortalLook(page, 'sign-out');
        await expectNoAxeViolations(page, `sign-out (${language}, ${viewport})`);
        await screenshot(page, 'app-sign-out', language, viewport);
        await tabTo(page, 'button', w.signOutYes);
        await page.keyboard.press('Enter');
        await page.waitForURL(`${shopSite.url}/bye**`);
        assert.equal(
          (await context.cookies()).find((c) => c.name === 'lanyard_session'),
          undefined,
        );

        assert.deepEqual(problems, [], 'no CSP violation nor page error');
        await context.close();
      });
    }
  });
}
