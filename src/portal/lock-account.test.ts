import assert from 'node:assert/strict';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, tabTo } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Lock your account',
    submit: 'Lock my account',
    done: 'Your account is locked. To open it again, use Forgot password (“Forgot your password?” on the sign-in page) to set a new password.',
    reset: 'Forgot your password?',
    invalid: 'This lock link is not valid, was already used, or is more than 7 days old.',
  },
  es: {
    title: 'Bloquear tu cuenta',
    submit: 'Bloquear mi cuenta',
    done: 'Tu cuenta está bloqueada. Para abrirla de nuevo, usa «¿Olvidaste tu contraseña?» en la página de inicio de sesión y elige una contraseña nueva.',
    reset: '¿Olvidaste tu contraseña?',
    invalid: 'Este enlace de bloqueo no es válido, ya se usó o tiene más de 7 días.',
  },
} as const;

describePortal('portal: "Lock my account" from the link of a new sign-in notice in Chromium', (suite) => {
  suite.each(
    'opening the link locks nothing; the button locks the account and ends the sessions; a second use is told',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      // Someone who knows the password signs in from a browser the account has not seen.
      const taker = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
        headers: { 'user-agent': `TakerBrowser/${Math.random()}` },
      });
      assert.equal(taker.status, 201, taker.text);
      await t.drainJobs();
      const notice = t.messages.to(account.email).at(-1)!;
      const link = new URL(/(https?:\/\/\S+\/account\/lock\?token=[A-Za-z0-9_-]+)/.exec(notice.text)![1]!);
      assert.equal(link.origin, portal.baseUrl);

      const { context, page, problems } = await portal.context(language, viewport);
      await page.goto(link.pathname + link.search);
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      // Opening the page (as a mail scanner would) locked nothing.
      assert.equal((await t.request('GET', '/v1/me', { token: taker.body.token })).status, 200);
      await expectNoAxeViolations(page, `lock account (${language}, ${viewport})`);
      await screenshot(page, 'lock-account', language, viewport);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByText(words.done).waitFor();
      await page.getByRole('link', { name: words.reset }).waitFor();
      await expectNoAxeViolations(page, `lock account done (${language}, ${viewport})`);
      await screenshot(page, 'lock-account-done', language, viewport);
      assert.equal((await t.request('GET', '/v1/me', { token: taker.body.token })).status, 401);
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
      });
      assert.equal(refused.body.code, 'account.locked', refused.text);

      // The link works once.
      await page.goto(link.pathname + link.search);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByRole('alert').filter({ hasText: words.invalid }).waitFor();
      // A link without its token says so at once.
      await page.goto(link.pathname);
      await page.getByRole('alert').filter({ hasText: words.invalid }).waitFor();
      await expectNoAxeViolations(page, `lock account invalid (${language}, ${viewport})`);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
