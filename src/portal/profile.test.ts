import assert from 'node:assert/strict';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage, tabTo } from './browser.js';
import type { BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    password: 'Password',
    login: 'Email, phone or account id',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Profile',
    title: 'Profile',
    name: 'Name',
    save: 'Save',
    saved: 'Saved.',
    after: 'Hello, Ana María',
  },
  es: {
    password: 'Contraseña',
    login: 'Correo, teléfono o id de cuenta',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Perfil',
    title: 'Perfil',
    name: 'Nombre',
    save: 'Guardar',
    saved: 'Guardado.',
    after: 'Hola, Ana María',
  },
} as const;

describePortal('portal: profile in Chromium', (suite) => {
  suite.each('the name is changed with the keyboard and shown at once', async ({ portal, language, viewport }) => {
    const words = text[language];
    const account = await accountIn(portal.t, language);
    const { context, page, problems } = await portal.context(language, viewport);
    await signInOnPage(page, account, words);
    await tabTo(page, 'link', words.nav);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
    await page.getByText(account.email).waitFor();
    await expectNoAxeViolations(page, `profile (${language}, ${viewport})`);
    await screenshot(page, 'profile', language, viewport);
    await tabTo(page, 'textbox', words.name);
    await page.keyboard.press('End');
    await page.keyboard.type(' María');
    await page.keyboard.press('Enter');
    await page.getByText(words.saved).waitFor();
    assert.equal(
      (
        await portal.t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.account.name,
      'Ana María',
    );
    await page.getByRole('link', { name: 'Lanyard' }).click();
    await page.getByRole('heading', { level: 1, name: words.after }).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });
});
