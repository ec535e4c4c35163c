import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { linkDevice, uniqueSerial } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV } from '../testing/captcha.js';
import { uniqueEmail } from '../testing/test-app.js';
import { createStaffMember } from '../testing/staff.js';
import {
  flowPairs,
  accountIn,
  expectNoAxeViolations,
  type Portal,
  screenshot,
  signInOnPage,
  startPortal,
  tabTo,
} from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    checkTitle: 'Is this device locked?',
    fromSignIn: 'Bought a used device? Check whether it is locked',
    serial: 'Serial number or IMEI',
    check: 'Check',
    locked: 'is locked to an account',
    notLocked: 'is not locked to any account',
    ownerHint: 'The owner’s address: p***',
    badSerial: 'Enter the serial number as it is written',
    askUnlock: 'Ask for the lock to be released',
    unlockTitle: 'Ask for a device’s lock to be released',
    email: 'Your email address',
    receipt: 'A receipt',
    other: 'Something else',
    proofText: 'What your proof shows',
    describe: 'Describe your proof when it is none of the kinds above.',
    send: 'Send the request',
    sent: 'Request sent',
    follow: 'Follow your request',
    statusTitle: 'Your unlock request',
    review: 'Waiting for review',
    approved: 'Approved: waiting period',
    objectedState: 'The owner objected',
    statusCode: 'Status code',
    show: 'Show the status',
    objectTitle: 'Object to an unlock request',
    objectButton: 'Object: this device is still mine',
    objectedDone: 'You objected.',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    checkTitle: '¿Está bloqueado este dispositivo?',
    fromSignIn: '¿Has comprado un dispositivo usado? Comprueba si está bloqueado',
    serial: 'Número de serie o IMEI',
    check: 'Comprobar',
    locked: 'está bloqueado a una cuenta',
    notLocked: 'no está bloqueado a ninguna cuenta',
    ownerHint: 'La dirección del titular: p***',
    badSerial: 'Escribe el número de serie tal como aparece',
    askUnlock: 'Pedir que se libere el bloqueo',
    unlockTitle: 'Pedir que se libere el bloqueo de un dispositivo',
    email: 'Tu correo electrónico',
    receipt: 'Un ticket de compra',
    other: 'Otra cosa',
    proofText: 'Qué muestra tu prueba',
    describe: 'Describe tu prueba cuando no es de ninguno de los tipos de arriba.',
    send: 'Enviar la solicitud',
    sent: 'Solicitud enviada',
    follow: 'Seguir tu solicitud',
    statusTitle: 'Tu solicitud de desbloqueo',
    review: 'Pendiente de revisión',
    approved: 'Aprobada: periodo de espera',
    objectedState: 'El titular se ha opuesto',
    statusCode: 'Código de estado',
    show: 'Ver el estado',
    objectTitle: 'Oponerte a una solicitud de desbloqueo',
    objectButton: 'Oponerme: este dispositivo sigue siendo mío',
    objectedDone: 'Te has opuesto.',
  },
} as const;

async function solveCaptcha(page: Page): Promise<void> {
  // The widget's checkbox, ticked with the keyboard; it solves GET /v1/captcha's challenge in its worker.
  await page.locator('altcha-widget input[type="checkbox"]').focus();
  await page.keyboard.press('Space');
  await page
    .locator('altcha-widget [data-state="verified"], altcha-widget .altcha[data-state="verified"]')
    .first()
    .waitFor({ timeout: 60_000 });
}

describe('portal: public pages (is this device locked, unlock request, its status, the owner’s objection) in Chromium', () => {
  let portal: Portal;
  let staff: string;
  before(async () => {
    portal = await startPortal('sqlite', { ...QUICK_CAPTCHA_ENV });
    staff = (await createStaffMember(portal.t, 'admin')).token;
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: a buyer checks a serial, asks for the unlock behind the captcha, follows it; the owner objects`, async () => {
      const words = text[language];
      const t = portal.t;
      const owner = await accountIn(t, language);
      const ownerToken = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: owner.email, password: owner.password, kind: 'api' },
        })
      ).body.token;
      const device = await linkDevice(t, { ...owner, token: ownerToken });

      // The buyer, signed in nowhere.
      const buyer = await portal.context(language, viewport);
      const page = buyer.page;
      await page.goto('/sign-in');
      await tabTo(page, 'link', words.fromSignIn);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.checkTitle }).waitFor();
      await tabTo(page, 'textbox', words.serial);
      await page.keyboard.type('not a serial!');
      await page.keyboard.press('Enter');
      await page.getByText(words.badSerial, { exact: false }).waitFor();
      await page.getByRole('textbox', { name: words.serial }).fill(uniqueSerial());
      await page.keyboard.press('Enter');
      await page.getByText(words.notLocked, { exact: false }).waitFor();
      await page.getByRole('textbox', { name: words.serial }).fill(device.serial);
      await page.keyboard.press('Enter');
      await page.getByText(words.locked, { exact: false }).waitFor();
      await page.getByText(words.ownerHint, { exact: false }).waitFor();
      await expectNoAxeViolations(page, `check device (${language}, ${viewport})`);
      await screenshot(page, 'check-device', language, viewport);

      await tabTo(page, 'link', words.askUnlock);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.unlockTitle }).waitFor();
      assert.equal(
        await page.getByRole('textbox', { name: words.serial }).inputValue(),
        device.serial,
        'the serial comes along',
      );
      const buyerEmail = uniqueEmail('buyer');
      await tabTo(page, 'textbox', words.email);
      await page.keyboard.type(buyerEmail);
      // A radio group is one tab stop: the arrows choose within it.
      await tabTo(page, 'radio', words.receipt);
      for (let i = 0; i < 4; i += 1) await page.keyboard.press('ArrowDown');
      assert.equal(await page.getByRole('radio', { name: words.other }).isChecked(), true);
      // "Something else" without saying what: the server's refusal shows on that field.
      await solveCaptcha(page);
      await page.getByRole('button', { name: words.send }).click();
      await page.getByText(words.describe).waitFor();
      await page
        .getByRole('textbox', { name: words.proofText })
        .fill('Bought on a market stall, 12 May, receipt no. 4471');
      await expectNoAxeViolations(page, `unlock request (${language}, ${viewport})`);
      await screenshot(page, 'unlock-request', language, viewport);
      await solveCaptcha(page);
      await tabTo(page, 'button', words.send);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.sent }).waitFor();
      await expectNoAxeViolations(page, `unlock request sent (${language}, ${viewport})`);

      // The status page: the token rides in the fragment, never in a query string.
      await tabTo(page, 'link', words.follow);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.statusTitle }).waitFor();
      await page.getByText(words.review).waitFor();
      const statusUrl = new URL(page.url());
      assert.equal(statusUrl.search, '');
      assert.match(statusUrl.hash, /^#token=/);
      const id = statusUrl.pathname.split('/').at(-1)!;
      await expectNoAxeViolations(page, `unlock status (${language}, ${viewport})`);
      await screenshot(page, 'unlock-status', language, viewport);

      // Staff approve; the owner objects from the portal, signed in.
      const approved = await t.request<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${id}/approve`, {
        token: staff,
        body: {},
      });
      assert.equal(approved.status, 200, approved.text);
      await page.reload();
      await page.getByText(words.approved).waitFor();

      const ownerSide = await portal.context(language, viewport);
      await ownerSide.page.goto(`/unlock/${id}/object`);
      // Not signed in: off to sign in, and back to the objection afterwards.
      await ownerSide.page.getByRole('textbox', { name: words.login }).fill(owner.email);
      await ownerSide.page.getByLabel(words.password).fill(owner.password);
      await ownerSide.page.getByRole('button', { name: words.submit, exact: true }).click();
      await ownerSide.page.getByRole('heading', { level: 1, name: words.objectTitle }).waitFor();
      await expectNoAxeViolations(ownerSide.page, `unlock objection (${language}, ${viewport})`);
      await screenshot(ownerSide.page, 'unlock-objection', language, viewport);
      await tabTo(ownerSide.page, 'button', words.objectButton);
      await ownerSide.page.keyboard.press('Enter');
      await ownerSide.page.getByText(words.objectedDone, { exact: false }).waitFor();
      assert.deepEqual(ownerSide.problems, []);
      await ownerSide.context.close();

      // Without the fragment, the status page asks for the code.
      await page.goto(`/unlock/${id}`);
      await tabTo(page, 'textbox', words.statusCode);
      await page.keyboard.type(decodeURIComponent(statusUrl.hash.slice('#token='.length)));
      await page.keyboard.press('Enter');
      await page.getByText(words.objectedState).waitFor();
      await expectNoAxeViolations(page, `unlock status by code (${language}, ${viewport})`);
      assert.deepEqual(buyer.problems, []);
      await buyer.context.close();
    });
  }

  test('the objection page of another account’s request says it found none', async () => {
    const stranger = await accountIn(portal.t, 'en');
    const { context, page, problems } = await portal.context('en', 'phone');
    await signInOnPage(page, stranger, text.en);
    await page.goto('/unlock/0190d1e2-0000-7000-8000-000000000000/object');
    await page.getByRole('button', { name: text.en.objectButton }).click();
    await page
      .getByText('No open request with this number concerns a device locked to your account', { exact: false })
      .waitFor();
    await expectNoAxeViolations(page, 'unlock objection, not found');
    assert.deepEqual(problems, []);
    await context.close();
  });
});
