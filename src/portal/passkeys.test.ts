import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  accountIn,
  expectNoAxeViolations,
  type Language,
  type Portal,
  screenshot,
  signInOnPage,
  startPortal,
  tabTo,
  type Viewport,
} from './browser.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Security',
    title: 'Security',
    name: 'Name of the new passkey',
    add: 'Add a passkey',
    codes: 'Your recovery codes',
    saved: 'I have saved them',
    added: 'Added',
    signOut: 'Sign out',
    withPasskey: 'Sign in with a passkey',
    removeOne: 'Remove the passkey My laptop',
    removeTitle: 'Remove the passkey My laptop?',
    removeConfirm: 'Yes, remove it',
    removed: 'The passkey is removed.',
    none: 'You have no passkey yet.',
    twoStepOn: '2-step verification is on',
    reauth: 'Confirm it is you',
    stepTitle: '2-step verification',
    usePasskey: 'Use a passkey',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Seguridad',
    title: 'Seguridad',
    name: 'Nombre de la nueva llave de acceso',
    add: 'Añadir una llave de acceso',
    codes: 'Tus códigos de recuperación',
    saved: 'Ya los he guardado',
    added: 'Añadida',
    signOut: 'Cerrar sesión',
    withPasskey: 'Iniciar sesión con una llave de acceso',
    removeOne: 'Quitar la llave de acceso My laptop',
    removeTitle: '¿Quitar la llave de acceso My laptop?',
    removeConfirm: 'Sí, quitarla',
    removed: 'La llave de acceso se ha quitado.',
    none: 'Aún no tienes ninguna llave de acceso.',
    twoStepOn: 'La verificación en dos pasos está activada',
    reauth: 'Confirma que eres tú',
    stepTitle: 'Verificación en dos pasos',
    usePasskey: 'Usar una llave de acceso',
  },
} as const;

describe('portal: passkeys in Chromium, with its virtual authenticator', () => {
  let portal: Portal;
  before(async () => {
    // Passkeys are bound to a domain: the portal is served as localhost, not 127.0.0.1.
    portal = await startPortal('sqlite', {}, { hostname: 'localhost' });
  });
  after(async () => portal?.close());

  for (const [language, viewport] of [
    ['en', 'desktop'],
    ['es', 'phone'],
  ] as [Language, Viewport][]) {
    test(`${language}, ${viewport}: a passkey is added and named, signs in without a password, and is removed`, async () => {
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      const { context, page, problems } = await portal.context(language, viewport);
      // A platform authenticator that holds discoverable credentials and verifies the person (as a fingerprint would).
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable', { enableUI: false });
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
          automaticPresenceSimulation: true,
        },
      });

      await signInOnPage(page, account, words);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
      await page.getByText(words.none).waitFor();
      await tabTo(page, 'textbox', words.name);
      await page.keyboard.type('My laptop');
      await page.keyboard.press('Enter');
      // The first second factor of the account comes with its recovery codes, shown once.
      await page.getByRole('list', { name: words.codes }).waitFor();
      await page.getByRole('button', { name: words.saved }).click();
      await page.getByText('My laptop', { exact: true }).waitFor();
      await page.getByText(words.twoStepOn).waitFor();
      await expectNoAxeViolations(page, `passkey added (${language}, ${viewport})`);
      await screenshot(page, 'security-passkeys', language, viewport);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1);
      assert.equal(credentials[0]!.isResidentCredential, true);
      const security = await page.evaluate(async () => (await fetch('/v1/me/security')).json());
      assert.deepEqual(
        security.passkeys.map((p: { name: string }) => p.name),
        ['My laptop'],
      );

      // Signed out, the passkey alone signs in: no login, no password.
      await page.getByRole('button', { name: words.signOut }).click();
      await tabTo(page, 'button', words.withPasskey);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();
      const after = await page.evaluate(async () => (await fetch('/v1/me/security')).json());
      assert.ok(after.passkeys[0].lastUsedAt, 'the passkey shows when it was last used');

      // With the password, the passkey is the second step.
      await page.getByRole('button', { name: words.signOut }).click();
      await page.getByRole('textbox', { name: words.login }).fill(account.email);
      await page.getByLabel(words.password).fill(account.password);
      await page.getByRole('button', { name: words.submit, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: words.stepTitle }).waitFor();
      await expectNoAxeViolations(page, `second step with a passkey (${language}, ${viewport})`);
      await tabTo(page, 'button', words.usePasskey);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();

      // Eleven minutes on, removing it needs a fresh sign-in: the shared prompt takes the password, then the passkey itself.
      t.clock.advance(11 * 60_000);
      await tabTo(page, 'link', words.nav);
      await page.keyboard.press('Enter');
      await tabTo(page, 'button', words.removeOne);
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('alertdialog', { name: words.removeTitle });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: words.removeConfirm }).click();
      const reauth = page.getByRole('dialog', { name: words.reauth });
      await reauth.waitFor();
      await page.keyboard.type(account.password);
      await page.keyboard.press('Enter');
      await reauth.getByRole('button', { name: words.usePasskey }).click();
      await reauth.waitFor({ state: 'detached' });
      await page.getByText(words.removed).waitFor();
      await page.getByText(words.none).waitFor();
      assert.deepEqual((await page.evaluate(async () => (await fetch('/v1/me/security')).json())).passkeys, []);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
