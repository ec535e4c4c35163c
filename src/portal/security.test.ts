import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { testDatabases } from '../testing/test-app.js';
import {
  accountIn,
  expectNoAxeViolations,
  flowPairs,
  type Language,
  type Portal,
  screenshot,
  signInOnPage,
  startPortal,
  tabTo,
  type Viewport,
} from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Security',
    title: 'Security',
    checkup: 'Security checkup',
    twoStepOff: '2-step verification is off',
    fixTwoStep: 'Turn it on',
    twoStepOn: '2-step verification is on',
    start: 'Set up an authenticator app',
    qr: 'QR code to add your Lanyard account to an authenticator app',
    appCode: 'Code from the app',
    turnOn: 'Turn on',
    codes: 'Your recovery codes',
    copy: 'Copy codes',
    copied: 'Copied.',
    download: 'Download codes',
    saved: 'I have saved them',
    renew: 'Make new recovery codes',
    renewTitle: 'Make new recovery codes?',
    renewConfirm: 'Yes, make new codes',
    low: 'Few codes are left. Make a new set before you run out.',
    twoCodes: '2 recovery codes left',
    signOut: 'Sign out',
    stepTitle: '2-step verification',
    code: 'Code',
    verify: 'Verify',
    current: 'Current password',
    newPassword: 'New password',
    change: 'Change password',
    wrongCurrent: 'The current password is wrong.',
    changed: 'Your password is changed. Every other browser and app was signed out; this one stays signed in.',
    lock: 'Lock my account',
    lockTitle: 'Lock your account now?',
    lockConfirm: 'Yes, lock my account',
    cancel: 'Cancel',
    locked: 'Your account is locked',
    lockedSignIn: 'This account is locked. Reset your password to open it again.',
    reset: 'Reset my password',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Seguridad',
    title: 'Seguridad',
    checkup: 'Revisión de seguridad',
    twoStepOff: 'La verificación en dos pasos está desactivada',
    fixTwoStep: 'Activarla',
    twoStepOn: 'La verificación en dos pasos está activada',
    start: 'Configurar una app de autenticación',
    qr: 'Código QR para añadir tu cuenta de Lanyard a una app de autenticación',
    appCode: 'Código de la app',
    turnOn: 'Activar',
    codes: 'Tus códigos de recuperación',
    copy: 'Copiar los códigos',
    copied: 'Copiados.',
    download: 'Descargar los códigos',
    saved: 'Ya los he guardado',
    renew: 'Crear códigos de recuperación nuevos',
    renewTitle: '¿Crear códigos de recuperación nuevos?',
    renewConfirm: 'Sí, crear códigos nuevos',
    low: 'Quedan pocos códigos. Crea otros antes de que se acaben.',
    twoCodes: 'Te quedan 2 códigos de recuperación',
    signOut: 'Cerrar sesión',
    stepTitle: 'Verificación en dos pasos',
    code: 'Código',
    verify: 'Verificar',
    current: 'Contraseña actual',
    newPassword: 'Contraseña nueva',
    change: 'Cambiar la contraseña',
    wrongCurrent: 'La contraseña actual no es correcta.',
    changed: 'Tu contraseña ha cambiado. Se cerró la sesión en los demás navegadores y apps; en este sigues dentro.',
    lock: 'Bloquear mi cuenta',
    lockTitle: '¿Bloquear tu cuenta ahora?',
    lockConfirm: 'Sí, bloquear mi cuenta',
    cancel: 'Cancelar',
    locked: 'Tu cuenta está bloqueada',
    lockedSignIn: 'Esta cuenta está bloqueada. Restablece la contraseña para abrirla de nuevo.',
    reset: 'Restablecer mi contraseña',
  },
} as const;

type Words = (typeof text)[Language];

async function openSecurityPage(page: Page, words: Words): Promise<void> {
  await tabTo(page, 'link', words.nav);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
}

/** The ten codes of the list shown once. */
async function shownCodes(page: Page, words: Words): Promise<string[]> {
  const list = page.getByRole('list', { name: words.codes });
  await list.waitFor();
  return (await list.locator('code').allTextContents()).map((c) => c.trim());
}

const ALL: [Language, Viewport][] = [
  ['en', 'phone'],
  ['en', 'desktop'],
  ['es', 'phone'],
  ['es', 'desktop'],
];

// Two language and size pairs on SQLite; the main flows once more on PostgreSQL.
for (const database of testDatabases()) {
  describe(`portal: the security page in Chromium (${database})`, () => {
    const sqlite = database === 'sqlite';
    let portal: Portal;
    before(async () => {
      portal = await startPortal(database);
    });
    after(async () => portal?.close());

    // The flows' two pairs; every-page.test.ts shows the page fits in the other two.
    const twoStepPairs = sqlite
      ? flowPairs().map(({ language, viewport }) => [language, viewport] as const)
      : [ALL[1]!];
    for (const [language, viewport] of twoStepPairs) {
      test(`${language}, ${viewport}: the checkup asks for 2-step; an authenticator app is set up from its QR code, the codes are shown once and renewed, and sign-in then asks for the app's code`, async () => {
        const words = text[language];
        const t = portal.t;
        const account = await accountIn(t, language);
        const { context, page, problems } = await portal.context(language, viewport);
        await context.grantPermissions(['clipboard-read', 'clipboard-write']);
        await signInOnPage(page, account, words);
        // Home shows the checkup's summary.
        await page.getByRole('heading', { level: 2, name: words.checkup }).waitFor();
        await page.getByRole('listitem').filter({ hasText: words.twoStepOff }).waitFor();
        await openSecurityPage(page, words);
        await page.getByText(words.twoStepOff).waitFor();
        await expectNoAxeViolations(page, `security page (${language}, ${viewport})`);
        await screenshot(page, 'security', language, viewport);
        // The checkup's fix takes the keyboard to its section.
        await tabTo(page, 'link', words.fixTwoStep);
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.activeElement?.id === 'authenticator-heading');

        await tabTo(page, 'button', words.start);
        await page.keyboard.press('Enter');
        // The QR code is drawn as an image from the server's SVG (the CSP allows data: images, never inline markup).
        const qr = page.getByRole('img', { name: words.qr });
        await qr.waitFor();
        assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml/);
        assert.ok(
          await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
          'the QR code image is drawn',
        );
        const secret = (
          (await page.locator('section[aria-labelledby="authenticator-heading"] code').textContent()) ?? ''
        ).replace(/\s/g, '');
        assert.match(secret, /^[A-Z2-7]{16,}$/);
        await expectNoAxeViolations(page, `authenticator set-up (${language}, ${viewport})`);
        await screenshot(page, 'security-authenticator', language, viewport);
        const totp = () => generate({ secret, epoch: Math.floor(t.clock.now() / 1000) });
        await tabTo(page, 'textbox', words.appCode);
        await page.keyboard.type(await totp());
        await page.keyboard.press('Enter');

        const codes = await shownCodes(page, words);
        assert.equal(codes.length, 10);
        assert.equal(new Set(codes).size, 10);
        await expectNoAxeViolations(page, `recovery codes (${language}, ${viewport})`);
        await screenshot(page, 'security-recovery-codes', language, viewport);
        const download = decodeURIComponent(
          (await page.getByRole('link', { name: words.download }).first().getAttribute('href')) ?? '',
        );
        for (const code of codes) assert.ok(download.includes(code), `the download holds ${code}`);
        await tabTo(page, 'button', words.copy);
        await page.keyboard.press('Enter');
        await page.getByText(words.copied, { exact: true }).waitFor();
        const copied = await page.evaluate(() => navigator.clipboard.readText());
        for (const code of codes) assert.ok(copied.includes(code));
        await page.getByRole('button', { name: words.saved }).click();
        await page.getByRole('list', { name: words.codes }).waitFor({ state: 'detached' });
        await page.getByText(words.twoStepOn).waitFor();

        // A new set: the old codes stop working, the new ones work.
        await tabTo(page, 'button', words.renew);
        await page.keyboard.press('Enter');
        const dialog = page.getByRole('alertdialog', { name: words.renewTitle });
        await dialog.waitFor();
        await expectNoAxeViolations(page, `renew codes prompt (${language}, ${viewport})`);
        await dialog.getByRole('button', { name: words.renewConfirm }).click();
        const renewed = await shownCodes(page, words);
        assert.equal(renewed.length, 10);
        assert.equal(renewed.filter((c) => codes.includes(c)).length, 0);
        await page.getByRole('button', { name: words.saved }).click();
        const apiSignIn = async (code: string) => {
          const first = await t.request<Api<'SecondFactorChallenge'>>('POST', '/v1/sessions', {
            body: { login: account.email, password: account.password, kind: 'api' },
          });
          assert.equal(first.status, 200, first.text);
          return t.request<BearerSession>('POST', '/v1/sessions/second-factor', {
            body: { challengeId: first.body.secondFactor.challengeId, method: 'recovery_code', code },
          });
        };
        assert.equal((await apiSignIn(codes[0]!)).status, 400);
        assert.equal((await apiSignIn(renewed[0]!)).status, 201);

        if (language === 'es' && viewport === 'phone') {
          // Seven more codes used elsewhere: two are left, and the page says so.
          for (const code of renewed.slice(1, 8)) assert.equal((await apiSignIn(code)).status, 201);
          await page.reload();
          await page.getByText(words.twoCodes).first().waitFor();
          await page.getByText(words.low).waitFor();
          await expectNoAxeViolations(page, `few codes left (${language}, ${viewport})`);
        }

        // Signing in again asks for the app's code (the next 30-second step: a code works once).
        await page.getByRole('button', { name: words.signOut }).click();
        await page.getByRole('textbox', { name: words.login }).fill(account.email);
        await page.getByLabel(words.password).fill(account.password);
        await page.getByRole('button', { name: words.submit, exact: true }).click();
        await page.getByRole('heading', { level: 1, name: words.stepTitle }).waitFor();
        t.clock.advance(30_000);
        await page.getByRole('textbox', { name: words.code }).fill(await totp());
        await page.getByRole('button', { name: words.verify }).click();
        await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();
        assert.deepEqual(problems, []);
        await context.close();
      });
    }

    for (const [language, viewport] of sqlite ? [ALL[0]!, ALL[3]!] : [ALL[2]!]) {
      test(`${language}, ${viewport}: the password is changed with the current one, other sessions end and this one stays`, async () => {
        const words = text[language];
        const t = portal.t;
        const account = await accountIn(t, language);
        const other = (
          await t.request<BearerSession>('POST', '/v1/sessions', {
            body: { login: account.email, password: account.password, kind: 'api' },
          })
        ).body.token;
        const { context, page, problems } = await portal.context(language, viewport);
        await signInOnPage(page, account, words);
        await openSecurityPage(page, words);
        const fresh = `a brand new phrase ${Math.random().toString(36).slice(2, 8)}`;
        await tabTo(page, 'textbox', words.current);
        await page.keyboard.type('not the password at all');
        await page.getByRole('textbox', { name: words.newPassword }).fill(fresh);
        await page.getByRole('button', { name: words.change, exact: true }).click();
        await page.getByText(words.wrongCurrent).waitFor();
        await page.getByRole('textbox', { name: words.current }).fill(account.password);
        await page.getByRole('textbox', { name: words.newPassword }).press('Enter');
        await page.getByText(words.changed).waitFor();
        await expectNoAxeViolations(page, `password changed (${language}, ${viewport})`);
        assert.equal((await t.request('GET', '/v1/me', { token: other })).status, 401);
        assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 200);
        assert.equal(
          (
            await t.request('POST', '/v1/sessions', {
              body: { login: account.email, password: account.password, kind: 'api' },
            })
          ).status,
          401,
        );
        assert.equal(
          (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: fresh, kind: 'api' } }))
            .status,
          201,
        );
        assert.deepEqual(problems, []);
        await context.close();
      });

      test(`${language}, ${viewport}: Lock my account explains what happens, then signs everything out until the password is reset`, async () => {
        const words = text[language];
        const t = portal.t;
        const account = await accountIn(t, language);
        const other = (
          await t.request<BearerSession>('POST', '/v1/sessions', {
            body: { login: account.email, password: account.password, kind: 'api' },
          })
        ).body.token;
        const { context, page, problems } = await portal.context(language, viewport);
        await signInOnPage(page, account, words);
        await openSecurityPage(page, words);
        await tabTo(page, 'button', words.lock);
        await page.keyboard.press('Enter');
        const dialog = page.getByRole('alertdialog', { name: words.lockTitle });
        await dialog.waitFor();
        await expectNoAxeViolations(page, `lock prompt (${language}, ${viewport})`);
        await screenshot(page, 'security-lock', language, viewport);
        // Escape leaves everything as it was.
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        assert.equal((await t.request('GET', '/v1/me', { token: other })).status, 200);
        await tabTo(page, 'button', words.lock);
        await page.keyboard.press('Enter');
        await dialog.getByRole('button', { name: words.lockConfirm }).click();
        await page.getByRole('heading', { level: 1, name: words.locked }).waitFor();
        await page.getByRole('link', { name: words.reset }).waitFor();
        await expectNoAxeViolations(page, `locked (${language}, ${viewport})`);
        assert.equal((await t.request('GET', '/v1/me', { token: other })).status, 401);
        assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 401);
        await t.drainJobs();
        assert.ok(t.messages.to(account.email).length >= 2, 'the owner is told by email');
        await page.goto('/sign-in');
        await page.getByRole('textbox', { name: words.login }).fill(account.email);
        await page.getByLabel(words.password).fill(account.password);
        await page.getByRole('button', { name: words.submit, exact: true }).click();
        assert.equal(await page.getByRole('alert').textContent(), words.lockedSignIn);
        assert.deepEqual(problems, []);
        await context.close();
      });
    }
  });
}
