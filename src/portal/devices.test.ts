import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { activation, linkDevice } from '../devices/test-factories.js';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage, tabTo } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Devices',
    title: 'Devices',
    locked: 'Locked to your account',
    signedIn: 'Signed in',
    noLocation: 'No location yet. Ask the device where it is.',
    locate: 'Locate',
    ring: 'Ring',
    lostType: 'Lost mode',
    sent: 'Sent',
    delivered: 'Delivered',
    done: 'Done',
    map: 'Last location 40.41680, -3.70380, within 35 m',
    lostMessage: 'Message on the screen',
    lostPhone: 'Phone number to call (optional)',
    lostSubmit: 'Turn on lost mode',
    call: 'Call +34 612 345 678',
    remove: 'Remove device',
    removeIntro: 'releases its lock',
    removeConfirm: 'Yes, remove Test phone and release its lock',
    removed: 'Test phone is removed from your account and its lock is released.',
    dialog: 'Confirm it is you',
    confirm: 'Continue',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Dispositivos',
    title: 'Dispositivos',
    locked: 'Bloqueado a tu cuenta',
    signedIn: 'Con sesión iniciada',
    noLocation: 'Aún no hay ubicación. Pregunta al dispositivo dónde está.',
    locate: 'Localizar',
    ring: 'Hacer sonar',
    lostType: 'Modo perdido',
    sent: 'Enviada',
    delivered: 'Entregada',
    done: 'Hecha',
    map: 'Última ubicación 40.41680, -3.70380, con un margen de 35 m',
    lostMessage: 'Mensaje en la pantalla',
    lostPhone: 'Teléfono al que llamar (opcional)',
    lostSubmit: 'Activar el modo perdido',
    call: 'Llama al +34 612 345 678',
    remove: 'Quitar dispositivo',
    removeIntro: 'se libera su bloqueo',
    removeConfirm: 'Sí, quitar Test phone y liberar su bloqueo',
    removed: 'Test phone ya no está en tu cuenta y su bloqueo está liberado.',
    dialog: 'Confirma que eres tú',
    confirm: 'Continuar',
  },
} as const;

/** The command's row in the page's list shows this state (the list is asked again while commands are on their way). */
async function commandState(page: Page, type: string, state: string): Promise<void> {
  await page.getByRole('listitem').filter({ hasText: type }).filter({ hasText: state }).first().waitFor();
}

describePortal('portal: devices, Find Device and removing a device in Chromium', (suite) => {
  suite.each(
    'the list, locate on an SVG map, ring, lost mode with the device answering, and removal that releases the lock',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      const token = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;
      const device = await linkDevice(t, { ...account, token }, { name: 'Test phone', model: 'Redmi Note 13' });
      // What the device does: take its waiting commands, and answer each.
      const poll = async () =>
        (await t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', { token: device.token })).body
          .commands as {
          id: string;
          type: string;
          message?: string;
        }[];
      const answer = async (id: string, body: Record<string, unknown>) =>
        assert.equal(
          (await t.request('POST', `/v1/device/commands/${id}/result`, { token: device.token, body })).status,
          204,
        );

      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      const row = page.getByRole('listitem').filter({ hasText: 'Test phone' });
      await row.getByText(words.locked).waitFor();
      await row.getByText(words.signedIn).waitFor();
      await expectNoAxeViolations(page, `devices (${language}, ${viewport})`);
      await screenshot(page, 'devices', language, viewport);

      await tabTo(page, 'link', 'Test phone');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Test phone' }).waitFor();
      await page.getByText(words.noLocation).waitFor();

      // Locate: sent, then delivered when the device takes it, then done with the location drawn.
      await tabTo(page, 'button', words.locate);
      await page.keyboard.press('Enter');
      await commandState(page, words.locate, words.sent);
      const [locate] = await poll();
      assert.equal(locate?.type, 'locate');
      await commandState(page, words.locate, words.delivered);
      await answer(locate!.id, { status: 'done', location: { lat: 40.4168, lon: -3.7038, accuracy: 35 } });
      await commandState(page, words.locate, words.done);
      const map = page.getByRole('img', { name: new RegExp(`^${words.map.replace(/[.()+]/g, '\\$&')}`) });
      await map.waitFor();
      assert.equal(await map.evaluate((svg) => svg.tagName.toLowerCase()), 'svg');
      assert.equal(await map.locator('circle').count(), 2);

      // Ring.
      await tabTo(page, 'button', words.ring);
      await page.keyboard.press('Enter');
      await commandState(page, words.ring, words.sent);
      const [ring] = await poll();
      assert.equal(ring?.type, 'ring');
      await answer(ring!.id, { status: 'done' });
      await commandState(page, words.ring, words.done);

      // Lost mode: the device gets the message with the number to call.
      await tabTo(page, 'textbox', words.lostMessage);
      await page.keyboard.type('Please return this phone');
      await page.getByRole('textbox', { name: words.lostPhone }).fill('+34 612 345 678');
      await tabTo(page, 'button', words.lostSubmit);
      await page.keyboard.press('Enter');
      await commandState(page, words.lostType, words.sent);
      const [lock] = await poll();
      assert.equal(lock?.type, 'lock');
      assert.equal(lock?.message, `Please return this phone · ${words.call}`);
      await answer(lock!.id, { status: 'done' });
      await commandState(page, words.lostType, words.done);
      await expectNoAxeViolations(page, `device (${language}, ${viewport})`);
      await screenshot(page, 'device', language, viewport);

      // Removing says that the lock is released, and asks for the password when the session is no longer fresh.
      await page.getByText(words.removeIntro, { exact: false }).waitFor();
      t.clock.advance(11 * 60_000);
      await tabTo(page, 'button', words.remove);
      await page.keyboard.press('Enter');
      await tabTo(page, 'button', words.removeConfirm);
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: words.dialog });
      await dialog.waitFor();
      await page.keyboard.type(account.password);
      await page.keyboard.press('Enter');
      await page.getByText(words.removed).waitFor();
      assert.equal((await activation(t, device.serial)).body.locked, false);
      assert.equal((await t.request('GET', '/v1/device/commands', { token: device.token })).status, 401);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
