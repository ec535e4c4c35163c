import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { uniqueEmail } from '../testing/test-app.js';
import { flowPairs, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { asStaff } from '../testing/staff.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

const text = {
  en: {
    queue: 'Unlock requests',
    one: 'Unlock request',
    state: 'State',
    proof: 'Bought from Ana on 2026-10-02 for 120 EUR',
    kind: 'Receipt',
    approve: 'Approve',
    approved: 'Approved. The waiting period has started.',
    waiting: 'Approved, in the waiting period',
    left: / d \d+ h \d+ min \d+ s left/,
    objected: 'The owner objected to this request: the device stays locked.',
    back: 'All unlock requests',
    submitted: 'Waiting for staff',
    note: 'Note (optional)',
  },
  es: {
    queue: 'Solicitudes de desbloqueo',
    one: 'Solicitud de desbloqueo',
    state: 'Estado',
    proof: 'Bought from Ana on 2026-10-02 for 120 EUR',
    kind: 'Tique de compra',
    approve: 'Aprobar',
    approved: 'Aprobada. Ha empezado el periodo de espera.',
    waiting: 'Aprobada, en periodo de espera',
    left: /Quedan \d+ d \d+ h \d+ min \d+ s/,
    objected: 'El titular se opuso a esta solicitud: el dispositivo sigue bloqueado.',
    back: 'Todas las solicitudes',
    submitted: 'Pendiente del personal',
    note: 'Nota (opcional)',
  },
} as const;

describe('staff console: unlock requests in Chromium', () => {
  let portal: Portal;
  let ip = 0;
  before(async () => {
    portal = await startPortal('sqlite', { ...QUICK_CAPTCHA_ENV });
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: support filters the queue, reads the proof, approves; the countdown runs and the owner's objection shows`, async () => {
      const words = text[language];
      const t = portal.t;
      const owner = await t.signUp({ name: 'Ana' });
      const device = await linkDevice(t, owner);
      ip += 1;
      const contact = uniqueEmail('buyer');
      const submitted = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', {
        ip: `10.66.0.${ip}`,
        body: {
          serial: device.serial,
          contact: { email: contact },
          proof: { kind: 'receipt', text: words.proof },
          captcha: await solvedCaptcha(t, `10.66.0.${ip}`),
        },
      });
      assert.equal(submitted.status, 202, submitted.text);
      const id = submitted.body.id;
      const support = await staffIn(t, 'support');

      const { context, page, problems } = await portal.context(language, viewport);
      await signInToConsole(t, page, support, language, '/admin/unlock-requests', words.queue);
      await page.getByLabel(words.state).selectOption('submitted');
      await page.waitForURL(/status=submitted/);
      const row = page.getByRole('row').filter({ hasText: contact });
      await row.waitFor();
      await expectNoAxeViolations(page, `unlock queue (${language}, ${viewport})`);
      await screenshot(page, 'console-unlock-queue', language, viewport);

      const link = row.getByRole('link');
      await tabTo(page, 'link', (await link.textContent())!);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.one }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/admin/unlock-requests/${id}`);
      await page.getByText(words.proof).waitFor();
      await page.getByText(words.kind, { exact: true }).waitFor();
      await page.getByText(words.submitted).waitFor();
      await expectNoAxeViolations(page, `unlock request (${language}, ${viewport})`);
      await screenshot(page, 'console-unlock-request', language, viewport);

      await tabTo(page, 'textbox', words.note);
      await page.keyboard.type('Receipt matches the serial');
      await tabTo(page, 'button', words.approve);
      await page.keyboard.press('Enter');
      await page.getByText(words.approved).waitFor();
      await page.getByText(words.waiting).waitFor();
      await page.getByText(words.left).waitFor();
      const listed = (
        await asStaff(t, support)<Api<'UnlockRequestList'>>('GET', '/v1/admin/unlock-requests')
      ).body.unlockRequests.find((r) => r.id === id);
      assert.equal(listed?.status, 'waiting');
      const audit = (
        await asStaff(t, support)<Api<'AuditPage'>>(
          'GET',
          `/v1/admin/audit?staff=${support.id}&action=unlock_request.approved`,
        )
      ).body.records;
      assert.deepEqual(
        audit.map((r) => r.reason),
        ['Receipt matches the serial'],
      );
      await expectNoAxeViolations(page, `unlock request waiting (${language}, ${viewport})`);
      await screenshot(page, 'console-unlock-waiting', language, viewport);

      // The owner objects in the waiting period: the page shows it once reloaded.
      const objected = await t.request<Api<'UnlockRequestStatus'>>('POST', `/v1/unlock-requests/${id}/object`, {
        token: owner.token,
      });
      assert.equal(objected.status, 200, objected.text);
      await page.reload();
      await page.getByText(words.objected).waitFor();
      assert.equal(await page.getByRole('button', { name: words.approve }).count(), 0);
      await tabTo(page, 'link', words.back);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.queue }).waitFor();
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
