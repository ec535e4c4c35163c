import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import {
  accountIn,
  expectNoAxeViolations,
  signInOnPage,
  startPortal,
  tabTo,
  type Language,
  type Portal,
  type Viewport,
} from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Security',
    title: 'Security',
    asked: 'Someone asks to unlock one of your devices',
    stop: 'Stop it',
    none: 'No unlock requests against your devices',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Seguridad',
    title: 'Seguridad',
    asked: 'Alguien pide desbloquear uno de tus dispositivos',
    stop: 'Detenerla',
    none: 'No hay solicitudes de desbloqueo de tus dispositivos',
  },
} as const;

describe('portal: the security checkup shows an unlock request against my device and stops it, in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite', QUICK_CAPTCHA_ENV);
  });
  after(async () => portal?.close());

  for (const [language, viewport] of [
    ['en', 'phone'],
    ['es', 'desktop'],
  ] as Array<[Language, Viewport]>) {
    test(`${language}, ${viewport}: the request is listed with its serial's end; one key press objects and the device stays locked`, async () => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      const session = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
      });
      const device = await linkDevice(t, {
        id: account.id,
        email: account.email,
        password: account.password,
        token: session.body.token,
      });
      // A stranger holding the phone asks for it to be released.
      const ip = `10.88.0.${language === 'en' ? 1 : 2}`;
      const body = {
        serial: device.serial,
        contact: { email: 'finder@example.com' },
        proof: { kind: 'receipt', text: 'Found it' },
        captcha: await solvedCaptcha(t, ip),
      };
      const asked = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', { body, ip });
      assert.equal(asked.status, 202, asked.text);

      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      const item = page.getByRole('listitem').filter({ hasText: words.asked });
      await item.waitFor();
      assert.match((await item.textContent()) ?? '', new RegExp(device.serial.slice(-4)));
      await expectNoAxeViolations(page, `checkup with an unlock request (${language}, ${viewport})`);
      await tabTo(page, 'button', words.stop);
      await page.keyboard.press('Enter');
      await page.getByRole('listitem').filter({ hasText: words.none }).waitFor();
      const status = await t.request<Api<'UnlockRequestStatus'>>(
        'GET',
        `/v1/unlock-requests/${asked.body.id}?token=${encodeURIComponent(asked.body.statusToken)}`,
      );
      assert.equal(status.body.status, 'objected');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
