import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { createTestApp, testDatabases, uniquePhone, type TestAccount, type TestApp } from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const HOUR = 3_600_000;

// Issue 13, item 6: password recovery by email or SMS alone does not bypass the second factor; a person
// who lost it and the recovery codes gets a waiting period instead, told to every address with a link
// that cancels it.
for (const database of testDatabases()) {
  describe(`password recovery with a waiting period (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: { ...QUICK_CAPTCHA_ENV, LANYARD_RECOVERY_WAIT_H: '72' } });
    });
    after(async () => t.close());

    /** A fresh account with an email, a phone and an authenticator app enrolled. */
    async function protectedAccount(): Promise<TestAccount & { email: string; phone: string }> {
      const account = await t.signUp();
      const phone = uniquePhone();
      // The phone is added like any address change: a code to the new number, on a fresh session.
      const started = await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } });
      assert.equal(started.status, 202, started.text);
      await t.drainJobs();
      const confirmed = await t.request('POST', '/v1/me/phone/confirm', {
        token: account.token,
        body: { phone, code: t.messages.lastCode(phone) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      const totp = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      assert.equal(totp.status, 201, totp.text);
      const code = await generate({ secret: totp.body.secret, epoch: Math.floor(t.clock.now() / 1000) });
      assert.equal(
        (await t.request('POST', '/v1/me/totp/confirm', { token: account.token, body: { code } })).status,
        200,
      );
      await t.drainJobs();
      return { ...account, email: account.email!, phone };
    }

    async function recoveryCode(account: { email: string }): Promise<string> {
      const captcha = await solvedCaptcha(t);
      assert.equal(
        (await t.request('POST', '/v1/recovery', { body: { login: account.email, channel: 'email', captcha } })).status,
        202,
      );
      await t.drainJobs();
      return t.messages.lastCode(account.email);
    }

    // Each from an address of its own: the wrong passwords tried here on purpose would soon ask a captcha.
    let ips = 0;
    const signIn = <T = BearerSession>(login: string, password: string) =>
      t.request<T>('POST', '/v1/sessions', { body: { login, password }, ip: `198.51.100.${++ips % 250}` });
    const cancelLinkIn = (text: string) => text.match(/https?:\/\/\S+\/account\/recovery-cancel\?token=([0-9a-f]+)/);

    test('without the factor, the answer offers the waiting period; with it, every address is told and nothing changes yet', async () => {
      const account = await protectedAccount();
      const code = await recoveryCode(account);
      const newPassword = 'lost my phone and my codes';
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
        body: { login: account.email, code, newPassword },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'two_step.required');
      assert.equal(refused.body.waitingPeriodHours, 72);

      const waiting = await t.request<Api<'RecoveryWaiting'>>('POST', '/v1/recovery/complete', {
        body: { login: account.email, code, newPassword, waitingPeriod: true },
      });
      assert.equal(waiting.status, 202, waiting.text);
      assert.equal(Date.parse(waiting.body.completesAt), t.clock.now() + 72 * HOUR);
      await t.drainJobs();
      for (const address of [account.email, account.phone]) {
        const notice = t.messages.to(address).at(-1)!;
        assert.match(notice.text, /without your second factor/);
        assert.ok(cancelLinkIn(notice.text), `the notice to ${address} carries the cancel link`);
      }
      // The code is spent, the old password still works (with its second factor), the new one does not.
      assert.equal(
        (
          await t.request('POST', '/v1/recovery/complete', {
            body: { login: account.email, code, newPassword, waitingPeriod: true },
          })
        ).status,
        400,
      );
      assert.equal((await signIn(account.email, account.password)).status, 200);
      assert.equal((await signIn(account.email, newPassword)).status, 401);
      t.clock.advance(71 * HOUR);
      await t.drainJobs();
      assert.equal((await signIn(account.email, newPassword)).status, 401);
    });

    test('when the period ends, the new password applies, two-step verification is off and sessions end', async () => {
      const account = await protectedAccount();
      const newPassword = 'lost my phone and my codes';
      const waiting = await t.request('POST', '/v1/recovery/complete', {
        body: { login: account.email, code: await recoveryCode(account), newPassword, waitingPeriod: true },
      });
      assert.equal(waiting.status, 202, waiting.text);
      t.clock.advance(72 * HOUR + 1000);
      await t.drainJobs();
      const signedIn = await signIn(account.email, newPassword);
      assert.equal(signedIn.status, 201, signedIn.text);
      assert.ok(signedIn.body.token, 'no second factor is asked any more');
      assert.equal((await signIn(account.email, account.password)).status, 401);
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: signedIn.body.token });
      assert.equal(security.body.totp.enabled, false);
      assert.equal(security.body.recoveryCodes.remaining, 0);
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: signedIn.body.token });
      const types = events.body.events.map((e: { type: string }) => e.type);
      for (const type of ['password.recovery_waiting', 'two_step.reset_by_recovery', 'password.recovered'])
        assert.ok(types.includes(type), `${type} is in the activity`);
      assert.match(t.messages.to(account.phone).at(-1)!.text, /reset|restablec/i);
    });

    test('the link of the notice cancels it, once; the old password and the factor stay', async () => {
      const account = await protectedAccount();
      const newPassword = 'someone reads my mailbox';
      assert.equal(
        (
          await t.request('POST', '/v1/recovery/complete', {
            body: { login: account.email, code: await recoveryCode(account), newPassword, waitingPeriod: true },
          })
        ).status,
        202,
      );
      await t.drainJobs();
      const token = cancelLinkIn(t.messages.to(account.phone).at(-1)!.text)![1]!;
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/recovery/cancel', { body: { token: 'f'.repeat(64) } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'recovery.cancel_invalid');

      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          t.request<Api<'RecoveryCancelled'>>('POST', '/v1/recovery/cancel', { body: { token } }),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, ...Array(9).fill(400)]);
      t.clock.advance(73 * HOUR);
      await t.drainJobs();
      assert.equal((await signIn(account.email, newPassword)).status, 401);
      const old = await signIn<Api<'SecondFactorChallenge'>>(account.email, account.password);
      assert.equal(old.status, 200, 'the old password still asks the second factor');
      assert.ok(old.body.secondFactor.challengeId);
    });

    test('a recovery with a recovery code ends the one that was waiting', async () => {
      const account = await protectedAccount();
      assert.equal(
        (
          await t.request('POST', '/v1/recovery/complete', {
            body: {
              login: account.email,
              code: await recoveryCode(account),
              newPassword: 'the waiting one',
              waitingPeriod: true,
            },
          })
        ).status,
        202,
      );
      const rows = () =>
        t.app.database.db.selectFrom('pending_recoveries').selectAll().where('account_id', '=', account.id).execute();
      assert.equal((await rows()).length, 1);
      // The owner finds a recovery code after all (a new set, made from a session still open).
      const security = await t.request<Api<'RecoveryCodeSet'>>('POST', '/v1/me/recovery-codes', {
        token: account.token,
      });
      assert.equal(security.status, 201, security.text);
      const done = await t.request('POST', '/v1/recovery/complete', {
        body: {
          login: account.email,
          code: await recoveryCode(account),
          newPassword: 'mine again',
          secondFactor: { method: 'recovery_code', code: security.body.codes[0] },
        },
      });
      assert.equal(done.status, 204, done.text);
      assert.equal((await rows()).length, 0);
      t.clock.advance(73 * HOUR);
      await t.drainJobs();
      assert.equal((await signIn(account.email, 'the waiting one')).status, 401);
      assert.equal((await signIn(account.email, 'mine again')).status, 200);
    });
  });
}
