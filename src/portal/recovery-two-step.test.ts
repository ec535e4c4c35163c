import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { QUICK_CAPTCHA_ENV } from '../testing/captcha.js';
import {
  flowPairs,
  accountIn,
  expectNoAxeViolations,
  screenshot,
  startPortal,
  tabTo,
  type Language,
  type Portal,
} from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    send: 'Send me a code',
    code: 'Code',
    newPassword: 'New password',
    set: 'Set the new password',
    factorTitle: '2-step verification',
    wrong: 'The code is wrong or was already used.',
    wait: 'Wait 3 days instead',
    waiting: /Unless it is cancelled/,
    done: 'Your password is changed, and every session of your account has been signed out.',
    cancelTitle: 'Cancel the password reset',
    cancel: 'Cancel the password reset',
    cancelled: /The password reset is cancelled/,
    invalid: 'This link is not valid, or the reset it cancels is already over or cancelled.',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    send: 'Envíame un código',
    code: 'Código',
    newPassword: 'Contraseña nueva',
    set: 'Guardar la contraseña nueva',
    factorTitle: 'Verificación en dos pasos',
    wrong: null,
    wait: 'Esperar 3 días',
    waiting: /Salvo que se cancele/,
    done: 'Tu contraseña ha cambiado y se han cerrado todas las sesiones de tu cuenta.',
    cancelTitle: 'Cancelar el restablecimiento de la contraseña',
    cancel: 'Cancelar el restablecimiento',
    cancelled: /Se ha cancelado el restablecimiento/,
    invalid: 'Este enlace no es válido, o el restablecimiento que cancela ya terminó o se canceló.',
  },
} as const;

describe('portal: forgot password on an account with 2-step verification, in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite', { ...QUICK_CAPTCHA_ENV, LANYARD_RECOVERY_WAIT_H: '72' });
  });
  after(async () => portal?.close());

  /** An account with an authenticator app enrolled through the API; returns its TOTP secret too. */
  async function protectedAccount(language: Language) {
    const t = portal.t;
    const account = await accountIn(t, language);
    const session = await t.request<BearerSession>('POST', '/v1/sessions', {
      body: { login: account.email, password: account.password, kind: 'api' },
    });
    const started = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: session.body.token });
    assert.equal(started.status, 201, started.text);
    const code = await generate({ secret: started.body.secret, epoch: Math.floor(t.clock.now() / 1000) });
    assert.equal(
      (await t.request('POST', '/v1/me/totp/confirm', { token: session.body.token, body: { code } })).status,
      200,
    );
    return { ...account, secret: started.body.secret };
  }

  /** The forgot-password page up to the second step: the captcha ticked by keyboard, the code, a new password. */
  async function upToSecondStep(page: Page, email: string, words: (typeof text)[Language]) {
    await page.goto('/forgot-password');
    await page.getByRole('textbox', { name: words.login }).fill(email);
    const widget = page.locator('altcha-widget input[type="checkbox"]');
    await widget.focus();
    await page.keyboard.press('Space');
    await page
      .locator('altcha-widget [data-state="verified"], altcha-widget .altcha[data-state="verified"]')
      .first()
      .waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: words.send }).click();
    await page.getByRole('textbox', { name: words.code }).waitFor();
    await portal.t.drainJobs();
    await page.getByRole('textbox', { name: words.code }).fill(portal.t.messages.lastCode(email));
    await page.getByLabel(words.newPassword).fill('a brand new passphrase 7');
    await page.getByRole('button', { name: words.set }).click();
    await page.getByRole('heading', { level: 2, name: words.factorTitle }).waitFor();
  }

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: without the factor the person may wait instead; the notice's link cancels it`, async () => {
      const words = text[language];
      const account = await protectedAccount(language);
      const { context, page, problems } = await portal.context(language, viewport);
      await upToSecondStep(page, account.email, words);
      await expectNoAxeViolations(page, `recovery second step (${language}, ${viewport})`);
      await screenshot(page, 'forgot-password-second-step', language, viewport);
      await tabTo(page, 'button', words.wait);
      await page.keyboard.press('Enter');
      await page.getByText(words.waiting).waitFor();
      // Nothing changed yet: the old password still works.
      assert.equal(
        (
          await portal.t.request('POST', '/v1/sessions', {
            body: { login: account.email, password: account.password },
          })
        ).status,
        200,
      );

      await portal.t.drainJobs();
      const notice = portal.t.messages.to(account.email).at(-1)!;
      const link = new URL(/(https?:\/\/\S+\/account\/recovery-cancel\?token=[0-9a-f]+)/.exec(notice.text)![1]!);
      await page.goto(link.pathname + link.search);
      await page.getByRole('heading', { level: 1, name: words.cancelTitle }).waitFor();
      await expectNoAxeViolations(page, `recovery cancel (${language}, ${viewport})`);
      await screenshot(page, 'recovery-cancel', language, viewport);
      await tabTo(page, 'button', words.cancel);
      await page.keyboard.press('Enter');
      await page.getByText(words.cancelled).waitFor();
      // The period passes; the new password never takes effect.
      portal.t.clock.advance(73 * 3_600_000);
      await portal.t.drainJobs();
      assert.equal(
        (
          await portal.t.request('POST', '/v1/sessions', {
            body: { login: account.email, password: 'a brand new passphrase 7' },
          })
        ).status,
        401,
      );
      // The link works once.
      await page.goto(link.pathname + link.search);
      await tabTo(page, 'button', words.cancel);
      await page.keyboard.press('Enter');
      await page.getByRole('alert').filter({ hasText: words.invalid }).waitFor();
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('en, desktop: the authenticator code completes the reset at once; a wrong one is told', async () => {
    const words = text.en;
    const account = await protectedAccount('en');
    const { context, page, problems } = await portal.context('en', 'desktop');
    await upToSecondStep(page, account.email, words);
    const code = await generate({ secret: account.secret, epoch: Math.floor(portal.t.clock.now() / 1000) + 30 });
    await page.getByRole('textbox', { name: words.code }).fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: words.set }).click();
    await page.getByRole('alert').filter({ hasText: words.wrong }).waitFor();
    portal.t.clock.advance(30_000);
    await page.getByRole('textbox', { name: words.code }).fill(code);
    await page.getByRole('button', { name: words.set }).click();
    await page.getByText(words.done).waitFor();
    const after = await portal.t.request('POST', '/v1/sessions', {
      body: { login: account.email, password: 'a brand new passphrase 7' },
    });
    assert.equal(after.status, 200, 'the new password, still with its second step');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
