import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flowPairs, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { asStaff } from '../testing/staff.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Apps',
    register: 'Register an app',
    name: 'Name',
    redirects: 'Redirect URIs',
    logouts: 'Post-logout redirect URIs',
    submit: 'Register',
    badUri: 'Give 1 to 10 valid redirect URIs, one a line.',
    created: (name: string) => `${name} is registered`,
    open: (name: string) => `Open ${name}`,
    secretOnce: 'Copy it now: it is shown this once and cannot be read again.',
    save: 'Save changes',
    saved: 'Saved.',
    rotate: 'Rotate the secret',
    firstParty: 'Our own app: people are not asked to consent',
    delete: 'Delete the app',
    deleteForGood: (name: string) => `Delete ${name} for good`,
    deleted: (name: string) => `${name} was deleted: every grant and token it held has ended.`,
  },
  es: {
    title: 'Apps',
    register: 'Registrar una app',
    name: 'Nombre',
    redirects: 'URI de redirección',
    logouts: 'URI de redirección tras cerrar sesión',
    submit: 'Registrar',
    badUri: 'Indica de 1 a 10 URI de redirección válidas, una por línea.',
    created: (name: string) => `${name} está registrada`,
    open: (name: string) => `Abrir ${name}`,
    secretOnce: 'Cópialo ahora: solo se muestra esta vez y no se puede volver a leer.',
    save: 'Guardar cambios',
    saved: 'Guardado.',
    rotate: 'Cambiar el secreto',
    firstParty: 'App propia: no se pide consentimiento',
    delete: 'Eliminar la app',
    deleteForGood: (name: string) => `Eliminar ${name} definitivamente`,
    deleted: (name: string) => `${name} se eliminó: terminaron todos sus permisos y tokens.`,
  },
} as const;

describe('staff console: apps in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: an admin registers an app (its secret shown once), edits it, rotates the secret and deletes it`, async () => {
      const words = text[language];
      const t = portal.t;
      const admin = await staffIn(t, 'admin');
      const asAdmin = asStaff(t, admin);
      const name = `Notes ${Math.random().toString(36).slice(2, 7)}`;
      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, admin, language, '/admin/apps', words.title);
      await tabTo(page, 'link', words.register);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.register }).waitFor();
      await expectNoAxeViolations(page, `register an app (${language}, ${viewport})`);
      await screenshot(page, 'console-app-new', language, viewport);

      await tabTo(page, 'textbox', words.name);
      await page.keyboard.type(name);
      await page.getByRole('textbox', { name: words.redirects, exact: true }).fill('not a url');
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByText(words.badUri).waitFor();
      await page
        .getByRole('textbox', { name: words.redirects, exact: true })
        .fill('https://notes.example.com/callback');
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: words.created(name) }).waitFor();
      await page.getByText(words.secretOnce).waitFor();
      const secret = (await page.getByTestId('secret').textContent())!;
      assert.ok(secret.length >= 20, 'the client secret is shown');
      const apps = (await asAdmin<Api<'AppList'>>('GET', '/v1/admin/apps')).body.apps;
      const clientId = apps.find((a) => a.name === name)!.clientId;
      await expectNoAxeViolations(page, `app registered (${language}, ${viewport})`);
      await screenshot(page, 'console-app-created', language, viewport);

      await tabTo(page, 'link', words.open(name));
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name }).waitFor();
      // The secret is never shown again.
      assert.equal(await page.getByText(secret).count(), 0);
      await page.getByRole('textbox', { name: words.logouts, exact: true }).fill('https://notes.example.com/bye');
      await tabTo(page, 'checkbox', words.firstParty);
      await page.keyboard.press('Space');
      await tabTo(page, 'button', words.save);
      await page.keyboard.press('Enter');
      await page.getByText(words.saved).waitFor();
      const saved = (await asAdmin<Api<'App'>>('GET', `/v1/admin/apps/${clientId}`)).body;
      assert.deepEqual(saved.postLogoutRedirectUris, ['https://notes.example.com/bye']);
      assert.equal(saved.firstParty, true);
      await expectNoAxeViolations(page, `an app (${language}, ${viewport})`);
      await screenshot(page, 'console-app', language, viewport);

      await tabTo(page, 'button', words.rotate, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.secretOnce).waitFor();
      const rotated = (await page.getByTestId('secret').textContent())!;
      assert.notEqual(rotated, secret);

      await tabTo(page, 'button', words.delete, 80);
      await page.keyboard.press('Enter');
      // The confirming button takes the focus: Enter deletes.
      await page.getByRole('button', { name: words.deleteForGood(name) }).waitFor();
      await page.keyboard.press('Enter');
      await page.getByText(words.deleted(name)).waitFor();
      assert.equal(new URL(page.url()).pathname, '/admin/apps');
      assert.equal((await asAdmin('GET', `/v1/admin/apps/${clientId}`)).status, 404);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
