// The portal's main flows once on PostgreSQL (every other portal test runs on SQLite): create an account,
// sign out and in, the devices with a removal that asks for the password again, and deleting the account.
// One language and one size, so that the browser suite is not run twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { activation, linkDevice } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV } from '../testing/captcha.js';
import { testDatabases } from '../testing/test-app.js';
import { expectNoAxeViolations, type Portal, startPortal } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const words = {
  createLink: 'Create an account',
  create: 'Create your account',
  email: 'Email',
  code: 'Code',
  name: 'Your name (optional)',
  newPassword: 'New password',
  submit: 'Create account',
  hello: 'Hello, Lucía',
  signOut: 'Sign out',
  signedOut: 'You are signed out.',
  login: 'Email, phone or account id',
  password: 'Password',
  signIn: 'Sign in',
  wrong: 'The login or password is wrong.',
  devices: 'Devices',
  locked: 'Locked to your account',
  remove: 'Remove device',
  removeConfirm: 'Yes, remove Old phone and release its lock',
  dialog: 'Confirm it is you',
  removed: 'Old phone is removed from your account and its lock is released.',
  profile: 'Profile',
  deleteLink: 'Delete your account',
  lost: 'What will be lost',
  continue: 'Continue',
  devicesLinked: 'Devices still linked',
  sure: 'Are you sure?',
  sentence: 'Yes, I want to delete my account and all its data permanently',
  channel: 'Where to send the code',
  send: 'Send the code',
  codeTitle: 'Enter the code',
  finalTitle: 'Delete your account now?',
  released: 'These devices are removed and their locks released: Phone A.',
  deleteNow: 'Delete my account permanently',
  done: 'Your account has been deleted',
};

describe('portal: the main flows on PostgreSQL in Chromium', {
  skip: !testDatabases().includes('postgres') && 'LANYARD_TEST_DATABASES leaves PostgreSQL out',
}, () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('postgres', { ...QUICK_CAPTCHA_ENV });
  });
  after(async () => portal?.close());

  test('en, desktop: create an account, sign out and in, remove a device, delete the account', async () => {
    const t = portal.t;
    t.clock.set(Date.now());
    const email = `pg-${Date.now()}@example.com`;
    const password = 'Correct Horse 42 battery staple';
    const { context, page, problems } = await portal.context('en', 'desktop');

    // Create the account with the emailed code.
    await page.goto('/sign-in');
    await page.getByRole('link', { name: words.createLink }).click();
    await page.getByRole('heading', { level: 1, name: words.create }).waitFor();
    await page.getByRole('textbox', { name: words.email }).fill(email);
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: words.code }).waitFor();
    await t.drainJobs();
    await page.getByRole('textbox', { name: words.code }).fill(t.messages.lastCode(email));
    await page.getByRole('textbox', { name: words.name }).fill('Lucía');
    await page.getByLabel(words.newPassword).fill(password);
    await page.getByRole('button', { name: words.submit }).click();
    await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();

    // Sign out, a wrong password, then the right one.
    await page.getByRole('button', { name: words.signOut }).click();
    await page.getByText(words.signedOut).waitFor();
    await page.getByRole('textbox', { name: words.login }).fill(email);
    await page.getByLabel(words.password, { exact: true }).fill('not the password');
    await page.getByRole('button', { name: words.signIn, exact: true }).click();
    assert.equal(await page.getByRole('alert').textContent(), words.wrong);
    await page.getByLabel(words.password, { exact: true }).fill(password);
    await page.getByRole('button', { name: words.signIn, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();

    // Two devices linked the way a phone does; one is removed, after the password is asked again.
    const token = (
      await t.request<BearerSession>('POST', '/v1/sessions', { body: { login: email, password, kind: 'api' } })
    ).body.token;
    const owner = {
      id: (await t.request<Api<'Account'>>('GET', '/v1/me', { token })).body.id,
      email,
      password,
      token,
    };
    const old = await linkDevice(t, owner, { name: 'Old phone' });
    const phone = await linkDevice(t, owner, { name: 'Phone A' });
    await page.getByRole('link', { name: words.devices }).click();
    await page.getByRole('heading', { level: 1, name: words.devices }).waitFor();
    await page.getByRole('listitem').filter({ hasText: 'Old phone' }).getByText(words.locked).waitFor();
    await expectNoAxeViolations(page, 'devices on PostgreSQL');
    await page.getByRole('link', { name: 'Old phone' }).click();
    await page.getByRole('heading', { level: 1, name: 'Old phone' }).waitFor();
    t.clock.advance(11 * 60_000);
    await page.getByRole('button', { name: words.remove }).click();
    await page.getByRole('button', { name: words.removeConfirm }).click();
    await page.getByRole('dialog', { name: words.dialog }).waitFor();
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByText(words.removed).waitFor();
    assert.equal((await activation(t, old.serial)).body.locked, false);

    // Delete the account: Phone A released by default, the sentence, the emailed code, then gone.
    await page.getByRole('link', { name: words.profile }).click();
    await page.getByRole('link', { name: words.deleteLink }).click();
    await page.getByRole('heading', { name: words.lost }).waitFor();
    await page.getByRole('button', { name: words.continue }).click();
    await page.getByRole('heading', { level: 1, name: words.devicesLinked }).waitFor();
    await page.getByRole('button', { name: words.continue }).click();
    await page.getByRole('heading', { level: 1, name: words.sure }).waitFor();
    // React Aria's checkbox and radio are styled over a hidden input: ticked with the keyboard.
    await page.getByRole('checkbox', { name: words.sentence }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: words.continue }).click();
    await page.getByRole('heading', { level: 1, name: words.channel }).waitFor();
    await page.getByRole('radio', { name: words.email }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: words.send }).click();
    await page.getByRole('heading', { level: 1, name: words.codeTitle }).waitFor();
    await t.drainJobs();
    await page.getByRole('textbox', { name: words.code }).fill(t.messages.lastCode(email));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: words.finalTitle }).waitFor();
    await page.getByText(words.released).waitFor();
    await page.getByRole('button', { name: words.deleteNow }).click();
    await page.getByRole('heading', { level: 1, name: words.done }).waitFor();
    assert.equal((await t.request('GET', '/v1/me', { token })).status, 401);
    assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 401);
    assert.equal((await activation(t, phone.serial)).body.locked, false);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
