import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  accountIn,
  expectNoAxeViolations,
  type Language,
  type Portal,
  screenshot,
  signInOnPage,
  startPortal,
  tabTo,
  type Viewport,
} from './browser.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Profile',
    title: 'Profile',
    changeEmail: 'Change email',
    newEmail: 'New email address',
    send: 'Send a code',
    code: 'Code',
    confirm: 'Confirm',
    wrongCode: 'The code is wrong.',
    dialog: 'Confirm it is you',
    continue: 'Continue',
    emailNow: (a: string) => `Your email is now ${a}.`,
    undoSent: 'We told your previous address, with a link to undo the change for 7 days in case it was not you.',
    undoTitle: 'Undo a change to your account',
    addPhone: 'Add a phone number',
    newPhone: 'New phone number',
    phoneNow: (a: string) => `Your phone number is now ${a}.`,
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Perfil',
    title: 'Perfil',
    changeEmail: 'Cambiar el correo',
    newEmail: 'Nuevo correo electrónico',
    send: 'Enviar un código',
    code: 'Código',
    confirm: 'Confirmar',
    wrongCode: 'El código no es correcto.',
    dialog: 'Confirma que eres tú',
    continue: 'Continuar',
    emailNow: (a: string) => `Tu correo ahora es ${a}.`,
    undoSent:
      'Avisamos a tu dirección anterior, con un enlace para deshacer el cambio durante 7 días por si no fuiste tú.',
    undoTitle: 'Deshacer un cambio en tu cuenta',
    addPhone: 'Añadir un teléfono',
    newPhone: 'Nuevo número de teléfono',
    phoneNow: (a: string) => `Tu teléfono ahora es ${a}.`,
  },
} as const;

describe('portal: changing the email and the phone on the profile page in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  for (const [language, viewport] of [
    ['en', 'phone'],
    ['es', 'desktop'],
  ] as [Language, Viewport][]) {
    test(`${language}, ${viewport}: a stale session confirms the password in place, the new email is confirmed with its code, and the old one gets an undo link`, async () => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      const newEmail = `new-${Math.random().toString(36).slice(2, 10)}@example.com`;
      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();

      // Eleven minutes on, the session is no longer fresh: the shared prompt asks for the password, then the code is sent.
      t.clock.advance(11 * 60_000);
      await tabTo(page, 'button', words.changeEmail);
      await page.keyboard.press('Enter');
      await page.getByRole('textbox', { name: words.newEmail }).fill(newEmail);
      await expectNoAxeViolations(page, `email change (${language}, ${viewport})`);
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: words.dialog });
      await dialog.waitFor();
      await page.keyboard.type(account.password);
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      const codeField = page.getByRole('textbox', { name: words.code });
      await codeField.waitFor();
      await page.getByText(newEmail).first().waitFor();
      await t.drainJobs();
      const code = t.messages.lastCode(newEmail);
      await codeField.fill(code === '000000' ? '111111' : '000000');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('alert').textContent(), words.wrongCode);
      await codeField.fill(code);
      await page.keyboard.press('Enter');
      await page.getByText(`${words.emailNow(newEmail)} ${words.undoSent}`).waitFor();
      await expectNoAxeViolations(page, `email changed (${language}, ${viewport})`);
      await screenshot(page, 'profile-email-changed', language, viewport);
      const profile = await page.evaluate(async () => (await fetch('/v1/me')).json());
      assert.equal(profile.email, newEmail);

      // The old address is told, with a link that opens the portal's undo page.
      await t.drainJobs();
      const notice = t.messages.to(account.email).at(-1)!;
      const link = notice.text.match(/https?:\/\/\S+/)?.[0];
      assert.ok(link?.startsWith(portal.baseUrl), `an undo link in: ${notice.text}`);

      if (language === 'en') {
        // A phone number is added the same way; with no previous number, nobody needs telling.
        await tabTo(page, 'button', words.addPhone);
        await page.keyboard.press('Enter');
        await page.getByRole('textbox', { name: words.newPhone }).fill('+34 612 345 678');
        await page.keyboard.press('Enter');
        await page.getByRole('textbox', { name: words.code }).waitFor();
        await t.drainJobs();
        await page.getByRole('textbox', { name: words.code }).fill(t.messages.lastCode('+34612345678'));
        await page.keyboard.press('Enter');
        await page.getByText(words.phoneNow('+34612345678'), { exact: true }).waitFor();
      }

      await page.goto(link!);
      await page.getByRole('heading', { level: 1, name: words.undoTitle }).waitFor();
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
