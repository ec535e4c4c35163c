import assert from 'node:assert/strict';
import { QUICK_CAPTCHA_ENV } from '../testing/captcha.js';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, tabTo } from './browser.js';

const text = {
  en: {
    create: 'Create your account',
    email: 'Email',
    send: 'Send me a code',
    code: 'Code',
    name: 'Your name (optional)',
    password: 'New password',
    submit: 'Create account',
    wrongCode: 'The code is wrong.',
    weak: 'Too short',
    strong: 'Strong',
    hello: 'Hello, Lucía',
    forgot: 'Reset your password',
    login: 'Email, phone or account id',
    sendRecovery: 'Send me a code',
    set: 'Set the new password',
    done: 'Your password is changed, and every session of your account has been signed out.',
    signIn: 'Sign in',
    signInWithNew: 'Sign in with the new password',
    robot: 'Complete the check that you are not a robot first.',
  },
  es: {
    create: 'Crea tu cuenta',
    email: 'Correo',
    send: 'Envíame un código',
    code: 'Código',
    name: 'Tu nombre (opcional)',
    password: 'Contraseña nueva',
    submit: 'Crear cuenta',
    wrongCode: 'El código no es correcto.',
    weak: 'Demasiado corta',
    strong: 'Fuerte',
    hello: 'Hola, Lucía',
    forgot: 'Restablece tu contraseña',
    login: 'Correo, teléfono o id de cuenta',
    sendRecovery: 'Envíame un código',
    set: 'Guardar la contraseña nueva',
    done: 'Tu contraseña ha cambiado y se han cerrado todas las sesiones de tu cuenta.',
    signIn: 'Iniciar sesión',
    signInWithNew: 'Inicia sesión con la contraseña nueva',
    robot: 'Primero completa la comprobación de que no eres un robot.',
  },
} as const;

describePortal(
  'portal: create account and forgot password in Chromium',
  (suite) => {
    suite.each(
      'create an account with an emailed code, a wrong code told, the strength meter, then signed in',
      async ({ portal, language, viewport }) => {
        const words = text[language];
        const email = `new-${language}-${viewport}-${Date.now()}@example.com`;
        const { context, page, problems } = await portal.context(language, viewport);
        await page.goto('/sign-in');
        await tabTo(page, 'link', language === 'en' ? 'Create an account' : 'Crear una cuenta');
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: words.create }).waitFor();
        await expectNoAxeViolations(page, `create account (${language}, ${viewport})`);
        await screenshot(page, 'create-account', language, viewport);

        await tabTo(page, 'textbox', words.email);
        await page.keyboard.type(email);
        await page.keyboard.press('Enter');
        await page.getByRole('textbox', { name: words.code }).waitFor();
        await portal.t.drainJobs();
        const code = portal.t.messages.lastCode(email);

        await page.getByRole('textbox', { name: words.code }).fill(code === '000000' ? '111111' : '000000');
        await page.getByRole('textbox', { name: words.name }).fill('Lucía');
        await page.getByLabel(words.password).fill('short');
        assert.equal(await page.getByRole('meter').getAttribute('aria-valuetext'), words.weak);
        await page.getByLabel(words.password).fill('Correct Horse 42 battery staple');
        assert.equal(await page.getByRole('meter').getAttribute('aria-valuetext'), words.strong);
        await expectNoAxeViolations(page, `create account, code step (${language}, ${viewport})`);
        await screenshot(page, 'create-account-code', language, viewport);
        await page.getByRole('button', { name: words.submit }).click();
        assert.equal(await page.getByRole('alert').textContent(), words.wrongCode);

        await page.getByRole('textbox', { name: words.code }).fill(code);
        await tabTo(page, 'button', words.submit);
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();
        const me = await page.evaluate(
          async () => (await (await fetch('/v1/me')).json()) as { email: string; locale: string },
        );
        assert.equal(me.email, email);
        assert.equal(me.locale, language);
        assert.deepEqual(problems, []);
        await context.close();
      },
    );
    suite.each(
      'forgot password through the real ALTCHA widget, the emailed code and a new password',
      async ({ portal, language, viewport }) => {
        const words = text[language];
        const account = await accountIn(portal.t, language);
        const { context, page, problems } = await portal.context(language, viewport);
        await page.goto('/sign-in');
        await page
          .getByRole('link', { name: language === 'en' ? 'Forgot your password?' : '¿Olvidaste tu contraseña?' })
          .click();
        await page.getByRole('heading', { level: 1, name: words.forgot }).waitFor();
        await page.getByRole('textbox', { name: words.login }).fill(account.email);
        await expectNoAxeViolations(page, `forgot password (${language}, ${viewport})`);
        await screenshot(page, 'forgot-password', language, viewport);

        // The widget's checkbox, reached and ticked with the keyboard; it solves GET /v1/captcha's challenge in its worker.
        const widget = page.locator('altcha-widget input[type="checkbox"]');
        await widget.focus();
        await page.keyboard.press('Space');
        await page
          .locator('altcha-widget [data-state="verified"], altcha-widget .altcha[data-state="verified"]')
          .first()
          .waitFor({ timeout: 60_000 });
        await page.getByRole('button', { name: words.sendRecovery }).click();
        await page.getByRole('textbox', { name: words.code }).waitFor();
        await portal.t.drainJobs();
        await page.getByRole('textbox', { name: words.code }).fill(portal.t.messages.lastCode(account.email));
        await page.getByLabel(words.password).fill('a brand new passphrase 7');
        await page.getByRole('button', { name: words.set }).click();
        await page.getByText(words.done).waitFor();
        await page.getByRole('link', { name: words.signInWithNew }).click();
        await page.getByRole('textbox', { name: words.login }).fill(account.email);
        await page.getByLabel(language === 'en' ? 'Password' : 'Contraseña').fill('a brand new passphrase 7');
        await page.getByRole('button', { name: words.signIn, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: language === 'en' ? 'Hello, Ana' : 'Hola, Ana' }).waitFor();
        assert.deepEqual(problems, []);
        await context.close();
      },
    );
  },
  { env: QUICK_CAPTCHA_ENV },
);
