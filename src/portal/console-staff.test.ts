import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff } from '../testing/staff.js';
import { flowPairs, accountIn, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Staff',
    email: 'Email',
    save: 'Save',
    added: (who: string) => `${who} is now support.`,
    remove: (who: string) => `Remove ${who}`,
    removed: "Removed: the account is a person's account again.",
    apps: 'Apps',
    forbidden: 'This is not allowed.',
    unlock: 'Unlock requests',
    home: 'Staff console',
    idle: 'Your session ended after 30 minutes without use. Sign in again.',
    signInTitle: 'Staff sign-in',
  },
  es: {
    title: 'Personal',
    email: 'Correo',
    save: 'Guardar',
    added: (who: string) => `${who} tiene ahora el rol soporte.`,
    remove: (who: string) => `Quitar a ${who}`,
    removed: 'Quitado: la cuenta vuelve a ser la de una persona.',
    apps: 'Apps',
    forbidden: 'No está permitido.',
    unlock: 'Solicitudes de desbloqueo',
    home: 'Consola del personal',
    idle: 'Tu sesión terminó tras 30 minutos sin uso. Vuelve a iniciar sesión.',
    signInTitle: 'Acceso del personal',
  },
} as const;

describe('staff console: staff members and what support may open, in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: an admin makes a person support and removes them; support sees no admin pages and is refused one opened by address`, async () => {
      const words = text[language];
      const t = portal.t;
      const admin = await staffIn(t, 'admin');
      const person = await accountIn(t, language);
      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, admin, language, '/admin/staff', words.title);
      await tabTo(page, 'textbox', words.email, 80);
      await page.keyboard.type(person.email);
      await tabTo(page, 'button', words.save, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.added(person.email)).waitFor();
      await page.getByRole('button', { name: words.remove(person.email) }).waitFor();
      const listed = (await asStaff(t, admin)<Api<'StaffList'>>('GET', '/v1/admin/staff')).body.staff;
      assert.equal(listed.find((m) => m.id === person.id)?.role, 'support');
      await expectNoAxeViolations(page, `staff (${language}, ${viewport})`);
      await screenshot(page, 'console-staff', language, viewport);
      await tabTo(page, 'button', words.remove(person.email), 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.removed).waitFor();
      assert.equal(
        (await asStaff(t, admin)<Api<'StaffList'>>('GET', '/v1/admin/staff')).body.staff.some(
          (m: { id: string }) => m.id === person.id,
        ),
        false,
      );
      await context.close();

      // Support: no admin entries in the navigation, and an admin page opened by address says no.
      const support = await staffIn(t, 'support');
      const second = await portal.context(language, viewport);
      await signInToConsole(t, second.page, support, language, '/admin', words.home);
      await second.page.getByRole('link', { name: words.unlock }).first().waitFor();
      assert.equal(await second.page.getByRole('navigation').getByRole('link', { name: words.apps }).count(), 0);
      await second.page.goto('/admin/apps');
      await second.page.getByRole('alert').filter({ hasText: words.forbidden }).waitFor();
      await expectNoAxeViolations(second.page, `support on an admin page (${language}, ${viewport})`);
      // Left idle for 31 minutes, the staff session has ended: the next page asks to sign in again, saying why.
      t.clock.advance(31 * 60_000);
      await tabTo(second.page, 'link', words.unlock);
      await second.page.keyboard.press('Enter');
      await second.page.getByText(words.idle).waitFor();
      await second.page.getByRole('heading', { level: 1, name: words.signInTitle }).waitFor();
      assert.deepEqual([...problems, ...second.problems], []);
      await second.context.close();
    });
  }
});
