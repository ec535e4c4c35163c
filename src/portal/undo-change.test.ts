import assert from 'node:assert/strict';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, tabTo } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Undo a change to your account',
    submit: 'Undo the change',
    done: 'Your previous email address is back, and every session of your account is signed out.',
    reset: 'Set a new password',
    again: 'This change was already undone, or the address was changed again since. Sign in, or reset your password.',
    invalid: 'This undo link is not valid or is more than 7 days old.',
  },
  es: {
    title: 'Deshacer un cambio en tu cuenta',
    submit: 'Deshacer el cambio',
    done: 'Ha vuelto tu correo anterior y se han cerrado todas las sesiones de tu cuenta.',
    reset: 'Elegir una contraseña nueva',
    again:
      'Este cambio ya se deshizo, o la dirección se ha vuelto a cambiar desde entonces. Inicia sesión o restablece tu contraseña.',
    invalid: 'Este enlace para deshacer no es válido o tiene más de 7 días.',
  },
} as const;

describePortal('portal: the undo link of an email change in Chromium', (suite) => {
  suite.each(
    'opening the link changes nothing; the button puts the old email back and ends the sessions; a second use is told',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      // Someone signed in changes the email, as a taker of the account would.
      const taker = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;
      const newEmail = `taker-${Math.random().toString(36).slice(2, 10)}@example.com`;
      assert.equal((await t.request('POST', '/v1/me/email', { token: taker, body: { email: newEmail } })).status, 202);
      await t.drainJobs();
      assert.equal(
        (
          await t.request('POST', '/v1/me/email/confirm', {
            token: taker,
            body: { email: newEmail, code: t.messages.lastCode(newEmail) },
          })
        ).status,
        200,
      );
      await t.drainJobs();
      const notice = t.messages.to(account.email).at(-1)!;
      const link = new URL(/(https?:\/\/\S+\/account\/undo-change\?token=[A-Za-z0-9_-]+)/.exec(notice.text)![1]!);
      assert.equal(link.origin, portal.baseUrl);

      const { context, page, problems } = await portal.context(language, viewport);
      await page.goto(link.pathname + link.search);
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      // Opening the page (as a mail scanner would) changed nothing.
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: taker })).body.email, newEmail);
      await expectNoAxeViolations(page, `undo change (${language}, ${viewport})`);
      await screenshot(page, 'undo-change', language, viewport);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByText(words.done).waitFor();
      await page.getByRole('link', { name: words.reset }).waitFor();
      await expectNoAxeViolations(page, `undo change done (${language}, ${viewport})`);
      assert.equal((await t.request('GET', '/v1/me', { token: taker })).status, 401);
      const back = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
      });
      assert.equal(back.status, 201, back.text);
      assert.equal(back.body.account.email, account.email);

      // The link works once.
      await page.goto(link.pathname + link.search);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('alert').textContent(), words.again);
      // An altered link is refused.
      await page.goto(`${link.pathname}?token=${'x'.repeat(40)}`);
      await page.getByRole('button', { name: words.submit }).click();
      assert.equal(await page.getByRole('alert').textContent(), words.invalid);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
