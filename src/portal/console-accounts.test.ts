import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { asStaff } from '../testing/staff.js';
import { flowPairs, accountIn, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Accounts',
    q: 'Email, phone, account id, serial or IMEI',
    reason: 'Reason',
    find: 'Find',
    account: 'Account',
    reveal: 'Reveal email and phone',
    amount: 'Credits to grant',
    grantReason: 'Reason for the grant',
    grant: 'Grant credits',
    granted: 'Granted. The balance is now 25 credits.',
    endAll: 'End all sessions',
    ended: /^\d+ sessions? ended\.$/,
    actionReason: 'Reason (the person is told)',
    suspend: 'Suspend the account',
    suspended: 'The account is suspended.',
    restore: 'Restore the account',
    restored: 'The account is restored.',
    audit: 'Audit log',
    auditTitle: 'Audit log',
    csv: 'Download as CSV',
    staffFilter: 'Staff member (email or account id)',
    actionFilter: 'Action',
    show: 'Show',
  },
  es: {
    title: 'Cuentas',
    q: 'Correo, teléfono, id de cuenta, número de serie o IMEI',
    reason: 'Motivo',
    find: 'Buscar',
    account: 'Cuenta',
    reveal: 'Mostrar correo y teléfono',
    amount: 'Créditos que conceder',
    grantReason: 'Motivo de la concesión',
    grant: 'Conceder créditos',
    granted: 'Concedidos. El saldo es ahora de 25 créditos.',
    endAll: 'Cerrar todas las sesiones',
    ended: /^\d+ sesi(ón|ones) cerradas?\.$/,
    actionReason: 'Motivo (la persona recibe aviso)',
    suspend: 'Suspender la cuenta',
    suspended: 'La cuenta está suspendida.',
    restore: 'Restablecer la cuenta',
    restored: 'La cuenta está restablecida.',
    audit: 'Registro de auditoría',
    auditTitle: 'Registro de auditoría',
    csv: 'Descargar en CSV',
    staffFilter: 'Miembro del personal (correo o id de cuenta)',
    actionFilter: 'Acción',
    show: 'Mostrar',
  },
} as const;

describe('staff console: accounts and the audit log in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: an admin finds a person with a reason (which the person sees), reveals, grants credits, ends sessions, suspends and restores; the audit log shows it and downloads as CSV`, async () => {
      const words = text[language];
      const t = portal.t;
      const person = await accountIn(t, language);
      const signIn = () =>
        t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: person.email, password: person.password, kind: 'api' },
        });
      const personToken = (await signIn()).body.token;
      const admin = await staffIn(t, 'admin');
      const ticket = `ticket ${Math.floor(Math.random() * 1e6)}`;

      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, admin, language, '/admin/accounts', words.title);
      await tabTo(page, 'textbox', words.q);
      await page.keyboard.type(person.email);
      await tabTo(page, 'textbox', words.reason);
      await page.keyboard.type(ticket);
      await page.keyboard.press('Enter');
      const masked = page.getByRole('link', { name: /\*\*\*/ });
      await masked.waitFor();
      assert.equal(await page.getByText(person.email, { exact: true }).count(), 0, 'the address is masked');
      await expectNoAxeViolations(page, `account search (${language}, ${viewport})`);
      await screenshot(page, 'console-accounts', language, viewport);
      // The person sees the look in their activity, with the reason.
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: personToken })).body
        .events as Array<{
        type: string;
      }>;
      assert.ok(
        events.some((e) => e.type === 'staff_access'),
        JSON.stringify(events.map((e) => e.type)),
      );

      await tabTo(page, 'link', (await masked.textContent())!);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.account }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/admin/accounts/${person.id}`);
      await expectNoAxeViolations(page, `account (${language}, ${viewport})`);
      await screenshot(page, 'console-account', language, viewport);
      await tabTo(page, 'button', words.reveal);
      await page.keyboard.press('Enter');
      await page.getByText(person.email, { exact: true }).waitFor();

      await page.getByRole('textbox', { name: words.amount }).fill('25');
      await page.getByRole('textbox', { name: words.grantReason }).fill('Sorry for the outage');
      await tabTo(page, 'button', words.grant, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.granted).waitFor();
      assert.equal((await t.request<Api<'Credits'>>('GET', '/v1/me/credits', { token: personToken })).body.balance, 25);

      await tabTo(page, 'button', words.endAll, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.ended).waitFor();
      assert.equal((await t.request('GET', '/v1/me', { token: personToken })).status, 401);

      // A suspension carries its own reason, which the person is told.
      await page.getByRole('textbox', { name: words.actionReason }).fill('Fraud report 77');
      await tabTo(page, 'button', words.suspend, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.suspended).waitFor();
      assert.equal((await signIn()).status, 403);
      await page.getByRole('textbox', { name: words.actionReason }).fill('Report was mistaken');
      await tabTo(page, 'button', words.restore, 80);
      await page.keyboard.press('Enter');
      await page.getByText(words.restored).waitFor();
      assert.equal((await signIn()).status, 201);

      await tabTo(page, 'link', words.audit, 80);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.auditTitle }).waitFor();
      await page.getByText(ticket).first().waitFor();
      await page.getByText('Fraud report 77').first().waitFor();
      // Filtered by this staff member's email and the action: just the suspension.
      await page.getByRole('textbox', { name: words.staffFilter }).fill(admin.email);
      await page.getByRole('textbox', { name: words.actionFilter, exact: true }).fill('staff.account_suspended');
      await tabTo(page, 'button', words.show);
      await page.keyboard.press('Enter');
      await page.waitForURL(/action=staff.account_suspended/);
      await page.getByRole('row').filter({ hasText: 'Fraud report 77' }).waitFor();
      assert.equal(await page.getByRole('row').count(), 2, 'the header row and the one record');
      await expectNoAxeViolations(page, `audit (${language}, ${viewport})`);
      await screenshot(page, 'console-audit', language, viewport);
      const href = (await page.getByRole('link', { name: words.csv }).getAttribute('href'))!;
      const csv = await page.evaluate(async (url) => {
        const response = await fetch(url);
        return { type: response.headers.get('content-type'), body: await response.text() };
      }, href);
      assert.match(csv.type ?? '', /text\/csv/, csv.body);
      // The CSV is the records shown: the filtered ones.
      assert.ok(csv.body.includes('Fraud report 77') && csv.body.includes('staff.account_suspended'), csv.body);
      assert.ok(!csv.body.includes(ticket), 'records outside the filters are not in the CSV');
      const records = (
        await asStaff(t, admin)<Api<'AuditPage'>>(
          'GET',
          `/v1/admin/audit?account=${person.id}&action=staff.account_suspended`,
        )
      ).body.records;
      assert.deepEqual(
        records.map((r) => r.reason),
        ['Fraud report 77'],
      );
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
