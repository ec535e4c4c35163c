import assert from 'node:assert/strict';
import { activation, linkDevice } from '../devices/test-factories.js';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage, tabTo } from './browser.js';
import type { BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    profile: 'Profile',
    link: 'Delete your account',
    lost: 'What will be lost',
    download: 'Download your data first',
    continue: 'Continue',
    devices: 'Devices still linked',
    keep: 'Keep it locked on purpose',
    lockOfWatch: 'The lock of Watch B',
    sure: 'Are you sure?',
    sentence: 'Yes, I want to delete my account and all its data permanently',
    channelTitle: 'Where to send the code',
    email: 'Email',
    send: 'Send the code',
    codeTitle: 'Enter the code',
    sentTo: 'We sent a 6-digit code to',
    timer: /^The code works for \d+ more seconds?\.$/,
    code: 'Code',
    wrong: 'The code is wrong.',
    tries: '4 tries left.',
    expired: 'The code has expired. Ask for a new one.',
    newCode: 'Send a new code',
    finalTitle: 'Delete your account now?',
    released: 'These devices are removed and their locks released: Phone A.',
    kept: 'These devices stay locked: Watch B.',
    deleteNow: 'Delete my account permanently',
    doneTitle: 'Your account has been deleted',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    profile: 'Perfil',
    link: 'Eliminar tu cuenta',
    lost: 'Lo que se perderá',
    download: 'Descarga antes tus datos',
    continue: 'Continuar',
    devices: 'Dispositivos aún vinculados',
    keep: 'Mantenerlo bloqueado a propósito',
    lockOfWatch: 'El bloqueo de Watch B',
    sure: '¿Seguro?',
    sentence: 'Sí, quiero eliminar mi cuenta y todos sus datos para siempre',
    channelTitle: 'Dónde enviar el código',
    email: 'Correo',
    send: 'Enviar el código',
    codeTitle: 'Escribe el código',
    sentTo: 'Hemos enviado un código de 6 cifras a',
    timer: /^El código vale durante \d+ segundos? más\.$/,
    code: 'Código',
    wrong: 'El código no es correcto.',
    tries: 'Te quedan 4 intentos.',
    expired: 'El código ha caducado. Pide uno nuevo.',
    newCode: 'Enviar un código nuevo',
    finalTitle: '¿Eliminar tu cuenta ahora?',
    released: 'Estos dispositivos se quitan y se liberan sus bloqueos: Phone A.',
    kept: 'Estos dispositivos siguen bloqueados: Watch B.',
    deleteNow: 'Eliminar mi cuenta para siempre',
    doneTitle: 'Tu cuenta se ha eliminado',
  },
} as const;

describePortal('portal: deleting the account, one step per screen, in Chromium', (suite) => {
  suite.each(
    'what is lost, a choice per device, the sentence, the code with its countdown, tries and a new code, then deleted',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      // The page times the code by the server's Date header (real time): the test's server clock starts there too.
      t.clock.set(Date.now());
      const account = await accountIn(t, language);
      const token = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;
      const phone = await linkDevice(t, { ...account, token }, { name: 'Phone A' });
      const watch = await linkDevice(t, { ...account, token }, { name: 'Watch B', kind: 'watch', model: 'Watch S3' });

      const { context, page, problems } = await portal.context(language, viewport);
      // The browser's clock is the test's to move: the code's countdown runs on it.
      await page.clock.install();
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.profile);
      await page.keyboard.press('Enter');
      await tabTo(page, 'link', words.link);
      await page.keyboard.press('Enter');

      // 1. What will be lost.
      await page.getByRole('heading', { name: words.lost }).waitFor();
      await page.getByText(words.download, { exact: false }).waitFor();
      await expectNoAxeViolations(page, `deletion: what is lost (${language}, ${viewport})`);
      await screenshot(page, 'delete-1-lost', language, viewport);
      await tabTo(page, 'button', words.continue);
      await page.keyboard.press('Enter');

      // 2. The devices still linked: Phone A released (the default), Watch B kept locked on purpose.
      await page.getByRole('heading', { level: 1, name: words.devices }).waitFor();
      await page.getByText('Phone A', { exact: true }).waitFor();
      const watchGroup = page.getByRole('radiogroup', { name: words.lockOfWatch });
      await watchGroup.getByText(words.keep).click();
      assert.equal(await watchGroup.getByRole('radio', { name: words.keep }).isChecked(), true);
      await expectNoAxeViolations(page, `deletion: devices (${language}, ${viewport})`);
      await screenshot(page, 'delete-2-devices', language, viewport);
      await tabTo(page, 'button', words.continue);
      await page.keyboard.press('Enter');

      // 3. The sentence, ticked with the keyboard; Continue waits for it.
      await page.getByRole('heading', { level: 1, name: words.sure }).waitFor();
      assert.equal(await page.getByRole('button', { name: words.continue }).isDisabled(), true);
      await tabTo(page, 'checkbox', words.sentence);
      await page.keyboard.press('Space');
      await expectNoAxeViolations(page, `deletion: sentence (${language}, ${viewport})`);
      await screenshot(page, 'delete-3-sure', language, viewport);
      await tabTo(page, 'button', words.continue);
      await page.keyboard.press('Enter');

      // 4. The channel.
      await page.getByRole('heading', { level: 1, name: words.channelTitle }).waitFor();
      await tabTo(page, 'radio', words.email);
      await page.keyboard.press('Space');
      await tabTo(page, 'button', words.send);
      await page.keyboard.press('Enter');

      // 5. The code: where it went, the countdown, and the tries left after a wrong one.
      await page.getByRole('heading', { level: 1, name: words.codeTitle }).waitFor();
      await page.getByText(words.sentTo, { exact: false }).waitFor();
      const timer = page.getByRole('timer');
      const first = await timer.textContent();
      assert.match(first ?? '', words.timer);
      await page.clock.runFor(5000);
      await page.waitForFunction((before) => document.querySelector('[role=timer]')?.textContent !== before, first);
      assert.match((await timer.textContent()) ?? '', words.timer);
      await expectNoAxeViolations(page, `deletion: code (${language}, ${viewport})`);
      await screenshot(page, 'delete-4-code', language, viewport);
      await t.drainJobs();
      const code = t.messages.lastCode(account.email);
      await tabTo(page, 'textbox', words.code);
      await page.keyboard.type(code === '000000' ? '111111' : '000000');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.finalTitle }).waitFor();
      await page.getByRole('button', { name: words.deleteNow }).click();
      await page.getByRole('heading', { level: 1, name: words.codeTitle }).waitFor();
      await page.getByRole('alert').filter({ hasText: words.wrong }).waitFor();
      await page.getByText(words.tries).waitFor();

      // The code runs out: said so, and a new one is a button away.
      t.clock.advance(61_000);
      await page.clock.fastForward(61_000);
      await page.getByText(words.expired).waitFor();
      await tabTo(page, 'button', words.newCode);
      await page.keyboard.press('Enter');
      await page.getByRole('timer').filter({ hasText: words.timer }).waitFor();
      await t.drainJobs();
      const second = t.messages.lastCode(account.email);
      await page.getByRole('textbox', { name: words.code }).fill(second);
      await page.keyboard.press('Enter');

      // 6. The final confirmation says what happens to each device.
      await page.getByRole('heading', { level: 1, name: words.finalTitle }).waitFor();
      await page.getByText(words.released).waitFor();
      await page.getByText(words.kept).waitFor();
      await expectNoAxeViolations(page, `deletion: final (${language}, ${viewport})`);
      await screenshot(page, 'delete-5-final', language, viewport);
      await tabTo(page, 'button', words.deleteNow);
      await page.keyboard.press('Enter');

      // 7. Deleted.
      await page.getByRole('heading', { level: 1, name: words.doneTitle }).waitFor();
      await expectNoAxeViolations(page, `deletion: done (${language}, ${viewport})`);
      await screenshot(page, 'delete-6-done', language, viewport);
      assert.equal((await t.request('GET', '/v1/me', { token })).status, 401);
      assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 401);
      assert.equal((await activation(t, phone.serial)).body.locked, false);
      assert.equal((await activation(t, watch.serial)).body.locked, true);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
