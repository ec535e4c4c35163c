import assert from 'node:assert/strict';
import { accountIn, describePortal, expectNoAxeViolations, screenshot, signInOnPage } from './browser.js';
import type { BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    password: 'Password',
    login: 'Email, phone or account id',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    devices: 'Your devices',
    locked: 'Locked to your account',
    notes: 'Notes',
    oneItem: '1 item',
    noApps: 'No app has access to your account.',
  },
  es: {
    password: 'Contraseña',
    login: 'Correo, teléfono o id de cuenta',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    devices: 'Tus dispositivos',
    locked: 'Bloqueado a tu cuenta',
    notes: 'Notas',
    oneItem: '1 elemento',
    noApps: 'Ninguna app tiene acceso a tu cuenta.',
  },
} as const;

describePortal('portal: home in Chromium', (suite) => {
  suite.each(
    'who I am, my devices and their lock, storage per collection, apps',
    async ({ portal, language, viewport }) => {
      const words = text[language];
      const account = await accountIn(portal.t, language);
      const token = (
        await portal.t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;
      const linked = await portal.t.request('POST', '/v1/devices', {
        token,
        body: {
          serial: `SN-${Date.now()}-${language}-${viewport}`,
          model: 'Lanyard Phone 2',
          name: 'Ana’s phone',
          kind: 'phone',
        },
      });
      assert.equal(linked.status, 201, linked.text);
      const note = await portal.t.request('PUT', '/v1/cloud/notes/n1', {
        token,
        body: { title: 'Shopping', text: 'milk' },
      });
      assert.equal(note.status, 200, note.text);

      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      const devices = page
        .getByRole('region', { name: words.devices })
        .or(page.locator('section', { has: page.getByRole('heading', { name: words.devices }) }));
      await devices.getByText('Ana’s phone').waitFor();
      assert.equal(await devices.getByText(words.locked).count(), 1);
      await page.getByText(account.email).waitFor();
      const notesRow = page.locator('dt', { hasText: words.notes });
      assert.match(
        (await notesRow.locator('xpath=following-sibling::dd[1]').textContent()) ?? '',
        new RegExp(`^${words.oneItem} · `),
      );
      await page.getByText(words.noApps).waitFor();
      await expectNoAxeViolations(page, `home (${language}, ${viewport})`);
      await screenshot(page, 'home', language, viewport);
      assert.deepEqual(problems, []);
      await context.close();
    },
  );
});
