import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { linkDevice } from '../devices/test-factories.js';
import { LOCALES, renderMessage, type MessageKind, type MessageParams } from '../messaging/templates.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { createStaffMember } from '../testing/staff.js';
import { uniqueEmail } from '../testing/test-app.js';
import { CONFIRMATION_SENTENCE } from '../deletion/test-helpers.js';
import { accountIn, expectNoAxeViolations, type Language, type Portal, startPortal } from './browser.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const notFound = { en: 'This page does not exist', es: 'Esta página no existe' } as const;

describe('portal: every link in every message opens a real page', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite', { ...QUICK_CAPTCHA_ENV, LANYARD_DELETION_GRACE_DAYS: '7' });
  });
  after(async () => portal?.close());

  /** The one link to this server in the newest message to an address. */
  function linkIn(address: string): string {
    const text = portal.t.messages.to(address).at(-1)?.text ?? '';
    const links = linksIn(text);
    assert.equal(links.length, 1, `one link in the last message to ${address}: ${text}`);
    return links[0]!;
  }
  /** The link to this page in the newest message to an address that has one. */
  function linkTo(address: string, path: string): string {
    const found = portal.t.messages
      .to(address)
      .flatMap((m) => linksIn(m.text))
      .filter((url) => new URL(url).pathname.startsWith(path))
      .at(-1);
    assert.ok(found, `a link to ${path} in a message to ${address}`);
    return found;
  }
  const linksIn = (text: string) =>
    [...text.matchAll(/https?:\/\/\S+/g)]
      .map((m) => m[0].replace(/[.,;)]+$/, ''))
      .filter((url) => url.startsWith(`${portal.baseUrl}/`));

  /** The links the server really puts in its messages, made by the real flows. */
  async function realLinks() {
    const t = portal.t;
    const signIn = async (account: { email: string; password: string }) =>
      (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: account.email, password: account.password, kind: 'api' },
        })
      ).body.token;

    // An email change: the old address gets the undo link.
    const changer = await accountIn(t, 'en');
    const changerToken = await signIn(changer);
    const newEmail = uniqueEmail('new');
    assert.equal(
      (await t.request('POST', '/v1/me/email', { token: changerToken, body: { email: newEmail } })).status,
      202,
    );
    await t.drainJobs();
    assert.equal(
      (
        await t.request('POST', '/v1/me/email/confirm', {
          token: changerToken,
          body: { email: newEmail, code: t.messages.lastCode(newEmail) },
        })
      ).status,
      200,
    );
    await t.drainJobs();
    const undoUrl = linkTo(changer.email, '/account/undo-change');
    const lockUrl = linkTo(changer.email, '/account/lock');

    // A sign-in from a client the account has not seen: the notice carries a lock link of its own.
    const traveller = await accountIn(t, 'en');
    const newClient = await t.request('POST', '/v1/sessions', {
      body: { login: traveller.email, password: traveller.password, kind: 'api' },
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' },
    });
    assert.equal(newClient.status, 201, newClient.text);
    await t.drainJobs();
    const signInLockUrl = linkTo(traveller.email, '/account/lock');

    // A password reset without the second factor waits, and tells the owner how to cancel it.
    const guarded = await accountIn(t, 'en');
    const guardedToken = await signIn(guarded);
    const totp = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: guardedToken });
    assert.equal(totp.status, 201, totp.text);
    assert.equal(
      (
        await t.request('POST', '/v1/me/totp/confirm', {
          token: guardedToken,
          body: { code: await generate({ secret: totp.body.secret, epoch: Math.floor(t.clock.now() / 1000) }) },
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await t.request('POST', '/v1/recovery', {
          body: { login: guarded.email, channel: 'email', captcha: await solvedCaptcha(t) },
        })
      ).status,
      202,
    );
    await t.drainJobs();
    const waiting = await t.request('POST', '/v1/recovery/complete', {
      body: {
        login: guarded.email,
        code: t.messages.lastCode(guarded.email),
        newPassword: 'lost my phone and my codes',
        waitingPeriod: true,
      },
    });
    assert.equal(waiting.status, 202, waiting.text);
    await t.drainJobs();
    const recoveryCancelUrl = linkTo(guarded.email, '/account/recovery-cancel');

    // A deletion with a grace period: the cancel link.
    const leaver = await accountIn(t, 'en');
    const leaverToken = await signIn(leaver);
    const asked = await t.request<Api<'DeletionRequested'>>('POST', '/v1/me/deletion', {
      token: leaverToken,
      body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
    });
    assert.equal(asked.status, 202, asked.text);
    await t.drainJobs();
    const confirmed = await t.request('POST', `/v1/me/deletion/${asked.body.id}/confirm`, {
      token: leaverToken,
      body: { code: t.messages.lastCode(leaver.email) },
    });
    assert.equal(confirmed.status, 200, confirmed.text);
    await t.drainJobs();
    const cancelUrl = linkIn(leaver.email);

    // An unlock request: its status link (with the token, then without), and the owner's objection link.
    const owner = await accountIn(t, 'en');
    const device = await linkDevice(t, { ...owner, token: await signIn(owner) });
    const buyer = uniqueEmail('buyer');
    const submitted = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', {
      body: {
        serial: device.serial,
        contact: { email: buyer },
        proof: { kind: 'receipt' },
        captcha: await solvedCaptcha(t),
      },
    });
    assert.equal(submitted.status, 202, submitted.text);
    await t.drainJobs();
    const statusWithToken = linkIn(buyer);
    const staff = (await createStaffMember(t, 'admin')).token;
    assert.equal(
      (await t.request('POST', `/v1/admin/unlock-requests/${submitted.body.id}/approve`, { token: staff, body: {} }))
        .status,
      200,
    );
    await t.drainJobs();
    const statusUrl = linkIn(buyer);
    const objectUrl = linkIn(owner.email);
    return {
      undoUrl,
      lockUrl,
      signInLockUrl,
      recoveryCancelUrl,
      cancelUrl,
      statusWithToken,
      statusUrl,
      objectUrl,
      leaver,
    };
  }

  test('every template, in English and Spanish, rendered with the links the server makes: each link is a portal page, axe-clean', async () => {
    const links = await realLinks();
    const at = 'Thu, 26 Nov 2026 12:00:00 GMT';
    // Every kind: one missing here fails the typecheck, so a new message cannot skip this test.
    const examples: { [K in MessageKind]: MessageParams[K] } = {
      signup_code: { code: '123456', minutes: 15 },
      signup_already_registered: {},
      address_change_code: { code: '654321', minutes: 15, field: 'email' },
      address_changed: { field: 'phone', newAddress: '+34612345678' },
      address_changed_undo: {
        field: 'email',
        newAddress: 'new@example.com',
        undoUrl: links.undoUrl,
        days: 7,
        lockUrl: links.lockUrl,
      },
      password_changed: {},
      new_client_sign_in: { client: 'Firefox/128.0', ip: '203.0.113.7', at, lockUrl: links.signInLockUrl, days: 7 },
      device_linked: { model: 'Pixel 9', name: 'Ana’s phone', at },
      bootloader_unlock_authorised: { model: 'Pixel 9', name: 'Ana’s phone', at, expiresAt: at },
      recovery_code: { code: '000042', minutes: 15 },
      password_recovered: { via: 'email', ip: '198.51.100.4', at },
      deletion_code: { code: '314159', seconds: 60 },
      account_deleted: { at, keptLocks: 2 },
      account_deletion_scheduled: { at, eraseAt: at, cancelUrl: links.cancelUrl },
      unlock_request_received: { statusUrl: links.statusWithToken },
      unlock_request_owner_notice: { serialHint: 'A1B2', releaseAt: at, requestId: 'r1', objectUrl: links.objectUrl },
      unlock_request_approved: { releaseAt: at, statusUrl: links.statusUrl },
      unlock_request_rejected: { statusUrl: links.statusUrl },
      unlock_request_objected: { statusUrl: links.statusUrl },
      unlock_request_released: { serialHint: 'A1B2' },
      unlock_device_released: { serialHint: 'A1B2', at },
      two_step_changed: { change: 'passkey_added', at },
      recovery_codes_low: { remaining: 2 },
      account_locked: { at, ip: '203.0.113.7' },
      account_suspended: { at, reason: 'fraud report 42' },
      account_restored: { at, reason: 'report withdrawn' },
      recovery_waiting: { completesAt: at, ip: '203.0.113.7', cancelUrl: links.recoveryCancelUrl },
    };

    // Every link of every rendered message, with the languages it was sent in.
    const found = new Map<string, Set<Language>>();
    for (const kind of Object.keys(examples) as MessageKind[]) {
      for (const locale of LOCALES) {
        const message = renderMessage(kind, locale, examples[kind] as never);
        for (const url of linksIn(`${message.subject}\n${message.text}`))
          found.set(url, (found.get(url) ?? new Set()).add(locale));
      }
    }
    assert.deepEqual(
      [...found.keys()].sort(),
      [
        links.undoUrl,
        links.lockUrl,
        links.signInLockUrl,
        links.recoveryCancelUrl,
        links.cancelUrl,
        links.statusWithToken,
        links.statusUrl,
        links.objectUrl,
      ].sort(),
      'the links of the messages are the ones the flows made',
    );

    for (const [url, languages] of found) {
      for (const language of languages) {
        const { context, page, problems } = await portal.context(language, language === 'en' ? 'desktop' : 'phone');
        const response = await page.goto(url.slice(portal.baseUrl.length));
        assert.equal(response?.status(), 200, `${url} answers 200`);
        assert.match(response?.headers()['content-type'] ?? '', /^text\/html/, `${url} is a page`);
        const heading = page.getByRole('heading', { level: 1 });
        await heading.waitFor();
        // Lazy pages land after the shell: wait until the page's own content is there.
        await page.waitForLoadState('networkidle');
        assert.notEqual(
          (await heading.textContent())?.trim(),
          notFound[language],
          `${url} is not the portal's "does not exist" page`,
        );
        assert.equal(
          await page.getByRole('alert').count(),
          0,
          `${url} opens without an error (${language}): ${await page.locator('main').textContent()}`,
        );
        await expectNoAxeViolations(page, `${url} (${language})`);
        assert.deepEqual(problems, []);
        await context.close();
      }
    }

    // The cancel link does what it says: the account is kept and signs in again.
    const { context, page, problems } = await portal.context('es', 'phone');
    await page.goto(links.cancelUrl.slice(portal.baseUrl.length));
    await page.getByRole('button', { name: 'Conservar mi cuenta' }).click();
    await page.getByText('Tu cuenta se conserva, con sus datos.', { exact: false }).waitFor();
    await expectNoAxeViolations(page, 'cancel deletion done');
    const back = await portal.t.request('POST', '/v1/sessions', {
      body: { login: links.leaver.email, password: links.leaver.password, kind: 'api' },
    });
    assert.equal(back.status, 201, back.text);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
