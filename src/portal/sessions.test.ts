import assert from 'node:assert/strict';
import { createStaffMember } from '../testing/staff.js';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage, tabTo } from './browser.js';
import type { BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    password: 'Password',
    login: 'Email, phone or account id',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Sessions',
    title: 'Sessions and activity',
    thisOne: 'This browser',
    others: 'Sign out everywhere else',
    done: 'Signed out.',
    signedIn: 'Signed in',
    created: 'Account created',
    staff: 'Lanyard support looked at your account',
    reason: 'Reason: unlock request 123',
  },
  es: {
    password: 'Contraseña',
    login: 'Correo, teléfono o id de cuenta',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Sesiones',
    title: 'Sesiones y actividad',
    thisOne: 'Este navegador',
    others: 'Cerrar las demás sesiones',
    done: 'Sesión cerrada.',
    signedIn: 'Inicio de sesión',
    created: 'Cuenta creada',
    staff: 'El soporte de Lanyard consultó tu cuenta',
    reason: 'Motivo: unlock request 123',
  },
} as const;

describePortal('portal: sessions and activity in Chromium', (suite) => {
  suite.each(
    'this browser marked, the history of events, and signing out everywhere else ends the other sessions',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const account = await accountIn(portal.t, language);
      const other = (
        await portal.t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
          headers: { 'user-agent': 'curl/8.0' },
        })
      ).body.token;
      // Support looks the account up with a reason: the person sees who looked, and why.
      const support = await createStaffMember(portal.t, 'support');
      const looked = await portal.t.request(
        'GET',
        `/v1/admin/accounts?q=${encodeURIComponent(account.email)}&reason=${encodeURIComponent('unlock request 123')}`,
        { token: support.token },
      );
      assert.equal(looked.status, 200, looked.text);

      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      await page.getByText(words.thisOne).waitFor();
      assert.equal(await page.getByText(words.thisOne).count(), 1);
      await page.getByText(words.created).waitFor();
      assert.ok((await page.getByText(words.signedIn, { exact: true }).count()) >= 2);
      await page.getByText(words.staff, { exact: true }).waitFor();
      await page.getByText(words.reason, { exact: true }).waitFor();
      await expectNoAxeViolations(page, `sessions (${language}, ${viewport})`);
      await screenshot(page, 'sessions', language, viewport);

      await tabTo(page, 'button', words.others);
      await page.keyboard.press('Enter');
      await page.getByText(words.done).waitFor();
      assert.equal((await portal.t.request('GET', '/v1/me', { token: other })).status, 401);
      // This browser is still signed in.
      assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 200);
      await page.getByRole('button', { name: words.others }).waitFor({ state: 'detached' });
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
