// Every page of the portal and the console, in the two language and size pairs that the flows do not run in
// (see flowPairs in browser.ts): English on the phone and Spanish on the desktop. Each page opens with its
// heading (not the "does not exist" page), nothing wider than the screen, no page error or CSP refusal, and
// no axe-core violation. The flows themselves prove that the pages work; this proves that they fit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  accountIn,
  describePortal,
  expectNoAxeViolations,
  flowPairs,
  type Language,
  LANGUAGES,
  signInOnPage,
  type Viewport,
  VIEWPORT_NAMES,
} from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { signInToConsole, staffIn } from './staff.js';

const words = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    notFound: 'This page does not exist',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    notFound: 'Esta página no existe',
  },
} as const;

const SIGNED_OUT = ['/sign-in', '/create-account', '/forgot-password', '/check-device', '/unlock'];
const PERSON = [
  '/',
  '/devices',
  '/devices/:device',
  '/cloud',
  '/apps',
  '/credits',
  '/sessions',
  '/security',
  '/profile',
  '/delete-account',
  '/account/lock',
];
const CONSOLE = [
  '/admin/unlock-requests',
  '/admin/apps',
  '/admin/apps/new',
  '/admin/webhooks',
  '/admin/accounts',
  '/admin/accounts/:account?reason=layout+check',
  '/admin/audit',
  '/admin/staff',
];

/** Opens a page and checks that it is a real page that fits the screen, axe-clean. */
async function expectPageFits(
  page: Page,
  path: string,
  language: Language,
  viewport: Viewport,
  name?: string,
): Promise<void> {
  await page.goto(path);
  const heading = page.getByRole('heading', { level: 1, name });
  await heading.waitFor();
  // Lazy pages land after the shell: wait until the page's own content is there.
  await page.waitForLoadState('networkidle');
  const where = `${path} (${language}, ${viewport})`;
  assert.notEqual((await heading.textContent())?.trim(), words[language].notFound, `${where} is a page`);
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: innerWidth }));
  assert.ok(widths.page <= widths.screen, `${where} is ${widths.page} px wide on a ${widths.screen} px screen`);
  await expectNoAxeViolations(page, where);
}

const otherPairs = LANGUAGES.flatMap((language) => VIEWPORT_NAMES.map((viewport) => ({ language, viewport }))).filter(
  (pair) => !flowPairs().some((flow) => flow.language === pair.language && flow.viewport === pair.viewport),
);

describePortal('portal and console: every page fits the screen in the pairs the flows skip', (suite) => {
  for (const { language, viewport } of otherPairs) {
    test(`${language}, ${viewport}: signed out, as a person with a device and a note, and as an admin`, async () => {
      const portal = suite.portal;
      const t = portal.t;
      const account = await accountIn(t, language);
      const token = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token,
        body: { serial: `SN-PAGES-${language}-${viewport}`, model: 'Lanyard Phone 2', name: 'Phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201, linked.text);
      assert.equal(
        (await t.request('PUT', '/v1/cloud/notes/n1', { token, body: { title: 'Shopping', text: 'milk' } })).status,
        200,
      );
      const { context, page, problems } = await portal.context(language, viewport);
      for (const path of SIGNED_OUT) await expectPageFits(page, path, language, viewport);
      await signInOnPage(page, account, words[language]);
      for (const path of PERSON.filter((path) => path !== '/devices/:device'))
        await expectPageFits(page, path, language, viewport);
      // The device's own page, headed by its name (an unknown id would get the page's "not found").
      await expectPageFits(page, `/devices/${linked.body.device.id}`, language, viewport, 'Phone');
      await context.close();

      const admin = await staffIn(t, 'admin');
      const staff = await portal.context(language, viewport);
      await signInToConsole(t, staff.page, admin, language);
      for (const path of CONSOLE)
        await expectPageFits(staff.page, path.replace(':account', account.id), language, viewport);
      assert.deepEqual([...problems, ...staff.problems], []);
      await staff.context.close();
    });
  }
});
