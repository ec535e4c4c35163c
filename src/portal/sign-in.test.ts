import assert from 'node:assert/strict';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, tabTo } from './browser.js';

const text = {
  en: {
    title: 'Sign in',
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    wrong: 'The login or password is wrong.',
    home: 'Hello, Ana',
    signOut: 'Sign out',
    signedOut: 'You are signed out.',
  },
  es: {
    title: 'Iniciar sesión',
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    wrong: 'El usuario o la contraseña no son correctos.',
    home: 'Hola, Ana',
    signOut: 'Cerrar sesión',
    signedOut: 'Has cerrado la sesión.',
  },
} as const;

describePortal('portal: sign in and sign out in Chromium', (suite) => {
  suite.each(
    'a wrong password is told, the right one opens the account, sign out ends it (keyboard only)',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const account = await accountIn(portal.t, language);
      const { context, page, problems } = await portal.context(language, viewport);
      // Opening the account while signed out leads to sign-in, and back to the account afterwards.
      await page.goto('/');
      await page.waitForURL(/\/sign-in\?next=/);
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      assert.equal(await page.title(), `${words.title} · Lanyard`);
      await expectNoAxeViolations(page, `sign-in (${language}, ${viewport})`);
      await screenshot(page, 'sign-in', language, viewport);

      await tabTo(page, 'textbox', words.login);
      await page.keyboard.type(account.email!);
      await page.keyboard.press('Tab');
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('alert').textContent(), words.wrong);

      await page.getByLabel(words.password).fill(account.password);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.home }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/');
      // The session is the HttpOnly cookie: nothing is kept in the page's storage.
      assert.equal(
        await page.evaluate(() => Object.keys(localStorage).filter((k) => k !== 'lanyard.language').length),
        0,
      );
      const cookie = (await context.cookies()).find((c) => c.name === 'lanyard_session');
      assert.ok(cookie?.httpOnly);

      await tabTo(page, 'button', words.signOut);
      await page.keyboard.press('Enter');
      await page.getByText(words.signedOut).waitFor();
      assert.equal(
        (await context.cookies()).find((c) => c.name === 'lanyard_session'),
        undefined,
      );
      const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
      assert.equal(me, 401);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
