import assert from 'node:assert/strict';
import { generate } from 'otplib';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, tabTo } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    stepTitle: '2-step verification',
    code: 'Code',
    verify: 'Verify',
    wrongCode: 'The code is wrong or was already used.',
    hello: 'Hello, Ana',
    sessions: 'Sessions',
    others: 'Sign out everywhere else',
    done: 'Signed out.',
    dialog: 'Confirm it is you',
    confirm: 'Continue',
    cancel: 'Cancel',
    wrongPassword: 'The login or password is wrong.',
    needFresh: 'Enter your password again to continue.',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    stepTitle: 'Verificación en dos pasos',
    code: 'Código',
    verify: 'Verificar',
    wrongCode: 'El código no es correcto o ya se usó.',
    hello: 'Hola, Ana',
    sessions: 'Sesiones',
    others: 'Cerrar las demás sesiones',
    done: 'Sesión cerrada.',
    dialog: 'Confirma que eres tú',
    confirm: 'Continuar',
    cancel: 'Cancelar',
    wrongPassword: 'El usuario o la contraseña no son correctos.',
    needFresh: 'Vuelve a escribir tu contraseña para continuar.',
  },
} as const;

describePortal('portal: the second step of sign-in and the shared re-authentication prompt in Chromium', (suite) => {
  suite.each(
    'a recovery code completes sign-in; a stale session is asked for the password and the code in place, and the action carries on',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      // The account turns on an authenticator app through the API (its own session, which stays signed in elsewhere).
      const other = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
          headers: { 'user-agent': 'curl/8.0' },
        })
      ).body.token;
      const started = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: other });
      assert.equal(started.status, 201, started.text);
      const secret = started.body.secret;
      const totp = () => generate({ secret, epoch: Math.floor(t.clock.now() / 1000) });
      const confirmed = await t.request<Api<'TotpConfirmed'>>('POST', '/v1/me/totp/confirm', {
        token: other,
        body: { code: await totp() },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      const recoveryCodes = confirmed.body.recoveryCodes;
      assert.ok(recoveryCodes, 'the first factor comes with recovery codes');

      const { context, page, problems } = await portal.context(language, viewport);
      await page.goto('/sign-in');
      await page.getByRole('textbox', { name: words.login }).fill(account.email);
      await page.getByLabel(words.password).fill(account.password);
      await page.getByRole('button', { name: words.submit, exact: true }).click();
      // The password was right: the second step, with no session yet.
      await page.getByRole('heading', { level: 1, name: words.stepTitle }).waitFor();
      assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 401);
      await expectNoAxeViolations(page, `second step (${language}, ${viewport})`);
      await screenshot(page, 'sign-in-second-step', language, viewport);
      await tabTo(page, 'textbox', words.code);
      await page.keyboard.type('abcde-12345');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('alert').textContent(), words.wrongCode);
      await page.getByRole('textbox', { name: words.code }).fill(recoveryCodes[0]!);
      await tabTo(page, 'button', words.verify);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();

      // Eleven minutes later the session is no longer fresh: ending other sessions needs the password again.
      t.clock.advance(11 * 60_000);
      await tabTo(page, 'link', words.sessions);
      await page.keyboard.press('Enter');
      await tabTo(page, 'button', words.others);
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: words.dialog });
      await dialog.waitFor();
      // Cancelling leaves the action undone and says why.
      await dialog.getByRole('button', { name: words.cancel }).click();
      await page.getByText(words.needFresh).waitFor();
      assert.equal((await t.request('GET', '/v1/me', { token: other })).status, 200);

      await tabTo(page, 'button', words.others);
      await page.keyboard.press('Enter');
      await dialog.waitFor();
      // The password field has the focus: the keyboard alone goes on.
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      await dialog.getByText(words.wrongPassword).waitFor();
      await dialog.getByLabel(words.password).fill(account.password);
      await page.keyboard.press('Enter');
      // The account has a second factor: the password alone is not enough.
      await dialog.getByRole('textbox', { name: words.code }).waitFor();
      await expectNoAxeViolations(page, `re-authentication prompt (${language}, ${viewport})`);
      await screenshot(page, 'reauth-prompt', language, viewport);
      await dialog.getByRole('textbox', { name: words.code }).fill(await totp());
      await dialog.getByRole('button', { name: words.confirm }).press('Enter');
      await dialog.waitFor({ state: 'detached' });
      await page.getByText(words.done).waitFor();
      assert.equal((await t.request('GET', '/v1/me', { token: other })).status, 401);
      // This browser is signed in with the new session, which is fresh, and its new CSRF token works.
      const current = await page.evaluate(async () => (await fetch('/v1/session')).json());
      assert.equal(current.fresh, true);
      assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 200);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
