import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  flowPairs,
  accountIn,
  expectNoAxeViolations,
  screenshot,
  signInOnPage,
  startPortal,
  tabTo,
  type Portal,
} from './browser.js';
import { asStaff } from '../testing/staff.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

const DAY = 24 * 60 * 60 * 1000;

const text = {
  en: {
    account: 'Account',
    balance: (n: number) => `Balance: ${n} credits`,
    amount: 'Credits to grant',
    grantReason: 'Reason for the grant',
    expires: 'Expires at the end of (UTC, optional)',
    grant: 'Grant credits',
    granted: 'Granted. The balance is now 40 credits.',
    refundKind: 'Refund',
    refundAmount: 'Credits to refund',
    refundReason: 'Reason for the refund',
    refund: 'Refund credits',
    refunded: 'Refunded. The balance is now 45 credits.',
    history: 'Credits history',
    grantedKind: 'Granted',
    refundedKind: 'Refunded',
    expiredKind: 'Expired',
    // The person's portal.
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    credits: 'Credits',
    expiresOn: /expires /,
    // Apps.
    logo: 'Logo URL (optional)',
    save: 'Save changes',
    saved: 'Saved.',
    badLogo: 'Use an https:// URL of an image.',
    allApps: 'All apps',
    // Webhooks.
    webhook: 'Webhook',
    rotate: 'Rotate the signing secret',
    secretOnce: 'Copy it now: it is shown this once and cannot be read again.',
    overlap: /^The previous secret also signs deliveries until /,
  },
  es: {
    account: 'Cuenta',
    balance: (n: number) => `Saldo: ${n} créditos`,
    amount: 'Créditos que conceder',
    grantReason: 'Motivo de la concesión',
    expires: 'Caducan al final del día (UTC, opcional)',
    grant: 'Conceder créditos',
    granted: 'Concedidos. El saldo es ahora de 40 créditos.',
    refundKind: 'Devolución',
    refundAmount: 'Créditos que devolver',
    refundReason: 'Motivo de la devolución',
    refund: 'Devolver créditos',
    refunded: 'Devueltos. El saldo es ahora de 45 créditos.',
    history: 'Historial de créditos',
    grantedKind: 'Concedidos',
    refundedKind: 'Devueltos',
    expiredKind: 'Caducados',
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    credits: 'Créditos',
    expiresOn: /caducan el /,
    logo: 'URL del logotipo (opcional)',
    save: 'Guardar cambios',
    saved: 'Guardado.',
    badLogo: 'Usa una URL https:// de una imagen.',
    allApps: 'Todas las apps',
    webhook: 'Webhook',
    rotate: 'Cambiar el secreto de firma',
    secretOnce: 'Cópialo ahora: solo se muestra esta vez y no se puede volver a leer.',
    overlap: /^El secreto anterior también firma los envíos hasta el /,
  },
} as const;

/** A 1×1 transparent PNG: the logo an app's CDN answers (the browser never leaves the machine). */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

describe('staff console: credits and their expiry, app logos, webhook secret rotation in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite');
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: an admin grants expiring credits and refunds, and sees the history; the person sees the expiry`, async () => {
      const words = text[language];
      const t = portal.t;
      const person = await accountIn(t, language);
      const admin = await staffIn(t, 'admin');
      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, admin, language, `/admin/accounts/${person.id}?reason=ticket+9`, words.account);
      await page.getByText(words.balance(0)).waitFor();
      // Expires at the end of the day after tomorrow (UTC).
      const day = new Date(t.clock.now() + 2 * DAY).toISOString().slice(0, 10);
      await tabTo(page, 'textbox', words.amount, 80);
      await page.keyboard.type('40');
      await tabTo(page, 'textbox', words.grantReason);
      await page.keyboard.type('Launch week');
      await page.getByLabel(words.expires).fill(day);
      await tabTo(page, 'button', words.grant, 20);
      await page.keyboard.press('Enter');
      await page.getByText(words.granted).waitFor();
      const history = page.getByRole('region', { name: words.history });
      const launch = history.getByRole('row').filter({ hasText: 'Launch week' });
      await launch.getByText('+40').waitFor();
      await launch.getByText(words.grantedKind).waitFor();

      // React Aria's radio is styled over a hidden input: chosen with the keyboard.
      await page.getByRole('radio', { name: words.refundKind }).focus();
      await page.keyboard.press('Space');
      await page.getByRole('textbox', { name: words.refundAmount }).fill('5');
      await page.getByRole('textbox', { name: words.refundReason }).fill('Order 7 returned');
      assert.equal(await page.getByLabel(words.expires).count(), 0, 'a refund never expires');
      await tabTo(page, 'button', words.refund, 20);
      await page.keyboard.press('Enter');
      await page.getByText(words.refunded).waitFor();
      await history.getByRole('row').filter({ hasText: 'Order 7 returned' }).getByText(words.refundedKind).waitFor();
      await page.getByText(words.balance(45)).waitFor();
      await expectNoAxeViolations(page, `account credits (${language}, ${viewport})`);
      await screenshot(page, 'console-account-credits', language, viewport);
      const entries = (
        await asStaff(t, admin)<Api<'Credits'>>('GET', `/v1/admin/accounts/${person.id}/credits?reason=check`)
      ).body.entries;
      assert.deepEqual(
        entries.map((e) => [e.kind, e.expiresAt]),
        [
          ['refund', null],
          ['grant', `${day}T23:59:59.999Z`],
        ],
      );
      await context.close();

      // The grant's time passes: what is left of it expires, and the person sees it.
      t.clock.advance(3 * DAY);
      await t.drainJobs();
      const own = await portal.context(language, viewport);
      await signInOnPage(own.page, person, words);
      await own.page.goto('/credits');
      await own.page.getByRole('heading', { level: 1, name: words.credits }).waitFor();
      const items = own.page.getByRole('listitem');
      await items.filter({ hasText: 'Launch week' }).filter({ hasText: words.expiredKind }).getByText('-40').waitFor();
      await items
        .filter({ hasText: 'Launch week' })
        .filter({ hasText: words.grantedKind })
        .getByText(words.expiresOn)
        .waitFor();
      await expectNoAxeViolations(own.page, `credits with an expiry (${language}, ${viewport})`);
      assert.deepEqual([...problems, ...own.problems], []);
      await own.context.close();
    });

    test(`${language}, ${viewport}: an admin sets an app's logo (https only), seen in the list`, async () => {
      const words = text[language];
      const t = portal.t;
      const admin = await staffIn(t, 'admin');
      const name = `Gallery ${language} ${viewport}`;
      const created = await asStaff(t, admin)<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        body: { name, type: 'spa', redirectUris: ['https://gallery.example.com/cb'], scopes: ['openid'] },
      });
      assert.equal(created.status, 201, created.text);
      const { context, page, problems } = await portal.context(language, viewport);
      const fetched: string[] = [];
      await page.route('https://cdn.example.com/**', (route) => {
        fetched.push(route.request().url());
        return route.fulfill({ status: 200, contentType: 'image/png', body: PNG });
      });
      await signInToConsole(t, page, admin, language, `/admin/apps/${created.body.clientId}`, name);
      await tabTo(page, 'textbox', words.logo, 60);
      await page.keyboard.type('http://cdn.example.com/gallery.png');
      await tabTo(page, 'button', words.save, 40);
      await page.keyboard.press('Enter');
      await page.getByText(words.badLogo).waitFor();
      await page.getByRole('textbox', { name: words.logo }).fill('https://cdn.example.com/gallery.png');
      await tabTo(page, 'button', words.save, 40);
      await page.keyboard.press('Enter');
      await page.getByText(words.saved, { exact: true }).waitFor();
      await expectNoAxeViolations(page, `app logo (${language}, ${viewport})`);
      await tabTo(page, 'link', words.allApps);
      await page.keyboard.press('Enter');
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name }) });
      const logo = row.locator('img');
      await logo.waitFor();
      assert.equal(await logo.getAttribute('src'), 'https://cdn.example.com/gallery.png');
      assert.equal(await logo.getAttribute('alt'), '', 'decorative: the name beside it says which app');
      await page.waitForFunction(
        (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 1,
        await logo.elementHandle(),
      );
      assert.ok(fetched.includes('https://cdn.example.com/gallery.png'), 'the CSP lets the logo load');
      await expectNoAxeViolations(page, `apps with a logo (${language}, ${viewport})`);
      await screenshot(page, 'console-apps-logo', language, viewport);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test(`${language}, ${viewport}: an admin rotates a webhook's signing secret, shown once`, async () => {
      const words = text[language];
      const t = portal.t;
      const admin = await staffIn(t, 'admin');
      const hook = await asStaff(t, admin)<Api<'WebhookCreated'>>('POST', '/v1/admin/webhooks', {
        body: { url: 'https://hooks.example.com/lanyard', events: ['account.deleted'] },
      });
      assert.equal(hook.status, 201, hook.text);
      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, admin, language, `/admin/webhooks/${hook.body.id}`, words.webhook);
      await tabTo(page, 'button', words.rotate, 40);
      await page.keyboard.press('Enter');
      await page.getByText(words.secretOnce).waitFor();
      const secret = (await page.getByTestId('secret').textContent())!;
      assert.match(secret, /^whsec_/);
      assert.notEqual(secret, hook.body.secret);
      await page.getByText(words.overlap).waitFor();
      await expectNoAxeViolations(page, `webhook secret (${language}, ${viewport})`);
      await screenshot(page, 'console-webhook-secret', language, viewport);
      const audit = await asStaff(t, admin)<Api<'AuditPage'>>(
        'GET',
        '/v1/admin/audit?action=staff.webhook_secret_rotated',
      );
      assert.ok(audit.body.records.some((r) => r.detail.webhook === hook.body.id));
      // Once: after a reload the secret is gone; the overlap is still said.
      await page.reload();
      await page.getByText(words.overlap).waitFor();
      assert.equal(await page.getByTestId('secret').count(), 0);
      assert.ok(!(await page.content()).includes(secret));
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
