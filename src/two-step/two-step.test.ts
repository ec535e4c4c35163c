import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { createTestApp, testDatabases, uniquePhone, type TestAccount, type TestApp } from '../testing/test-app.js';

const MINUTE = 60_000;

for (const database of testDatabases()) {
  describe(`two-step verification (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
    });
    after(async () => t.close());

    /** The code an authenticator app shows now, by the server's (test) clock. */
    const totpCode = (secret: string) => generate({ secret, epoch: Math.floor(t.clock.now() / 1000) });

    /** Moves the clock to the start of the next 30-second step, so that the next code is a new one. */
    const nextStep = () => t.clock.advance(30_000 - (t.clock.now() % 30_000) + 1000);

    /** Enrols an authenticator app on a fresh account, as its owner would; returns its secret and recovery codes. */
    async function withTotp(account: TestAccount): Promise<{ secret: string; recoveryCodes: string[] }> {
      const started = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      assert.equal(started.status, 201, started.text);
      const confirmed = await t.request<Api<'TotpConfirmed'>>('POST', '/v1/me/totp/confirm', {
        token: account.token,
        body: { code: await totpCode(started.body.secret) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.ok(confirmed.body.recoveryCodes, 'the first factor comes with recovery codes');
      nextStep();
      return { secret: started.body.secret, recoveryCodes: confirmed.body.recoveryCodes };
    }

    /** A sign-in with the password: an account with two-step on is asked its second factor. */
    const signIn = <T = Api<'SecondFactorChallenge'>>(account: TestAccount, ip?: string) =>
      t.request<T>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        ...(ip ? { ip } : {}),
      });

    test('an authenticator app is enrolled by a QR code and a first code, with ten recovery codes shown once', async () => {
      const account = await t.signUp();
      const started = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      assert.equal(started.status, 201, started.text);
      assert.match(started.body.secret, /^[A-Z2-7]{32}$/);
      assert.match(started.body.otpauthUri, /^otpauth:\/\/totp\/Lanyard:.+secret=[A-Z2-7]+/);
      assert.match(started.body.qrSvg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      // Not enabled before a code confirms it.
      assert.equal(
        (await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token })).body.totp.enabled,
        false,
      );
      assert.equal((await signIn(account)).status, 201);

      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/me/totp/confirm', {
        token: account.token,
        body: { code: '000000' === (await totpCode(started.body.secret)) ? '111111' : '000000' },
      });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'two_step.code_invalid');
      const confirmed = await t.request<Api<'TotpConfirmed'>>('POST', '/v1/me/totp/confirm', {
        token: account.token,
        body: { code: await totpCode(started.body.secret) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.ok(confirmed.body.recoveryCodes);
      assert.equal(confirmed.body.recoveryCodes.length, 10);
      assert.equal(new Set(confirmed.body.recoveryCodes).size, 10);
      for (const code of confirmed.body.recoveryCodes) assert.match(code, /^[a-z2-9]{5}-[a-z2-9]{5}$/);

      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token });
      assert.equal(security.status, 200);
      assert.deepEqual(security.body.totp, { enabled: true });
      assert.deepEqual(security.body.recoveryCodes, { remaining: 10, low: false });
      assert.equal(security.body.secondFactorRequired, true);
      assert.deepEqual(security.body.passkeys, []);
      assert.ok(!Number.isNaN(Date.parse(security.body.password.changedAt)));
      // A second enrolment is refused while one is enabled.
      assert.equal(
        (await t.request<Api<'Problem'>>('POST', '/v1/me/totp', { token: account.token })).body.code,
        'two_step.already_enabled',
      );

      await t.drainJobs();
      assert.ok(
        t.messages
          .to(account.email!)
          .some((m) => /two-step verification changed/.test(m.subject) && /authenticator app was added/.test(m.text)),
      );
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token });
      assert.ok(events.body.events.some((e: Api<'SecurityEvent'>) => e.type === 'two_step.totp_added'));
    });

    test('starting the enrolment again replaces the unconfirmed secret', async () => {
      const account = await t.signUp();
      const first = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      const second = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      assert.equal(second.status, 201);
      assert.notEqual(first.body.secret, second.body.secret);
      const [oldCode, newCode] = [await totpCode(first.body.secret), await totpCode(second.body.secret)];
      if (oldCode !== newCode)
        assert.equal(
          (
            await t.request<Api<'Problem'>>('POST', '/v1/me/totp/confirm', {
              token: account.token,
              body: { code: oldCode },
            })
          ).body.code,
          'two_step.code_invalid',
        );
      assert.equal(
        (await t.request('POST', '/v1/me/totp/confirm', { token: account.token, body: { code: newCode } })).status,
        200,
      );
    });

    test('sign-in asks the second factor: no token until a code of the app, which works once', async () => {
      const account = await t.signUp();
      const { secret } = await withTotp(account);
      const first = await signIn(account);
      assert.equal(first.status, 200, first.text);
      assert.equal('token' in first.body, false);
      assert.deepEqual(first.body.secondFactor.methods, ['totp', 'recovery_code']);
      const { challengeId } = first.body.secondFactor;

      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'totp', code: '123456' === (await totpCode(secret)) ? '654321' : '123456' },
      });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'two_step.code_invalid');
      const code = await totpCode(secret);
      const done = await t.request<BearerSession>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'totp', code },
      });
      assert.equal(done.status, 201, done.text);
      assert.equal(done.body.account.id, account.id);
      assert.equal((await t.request('GET', '/v1/me', { token: done.body.token })).status, 200);

      // The challenge is single-use, and the same code is refused in its time step (replay).
      const again = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'totp', code },
      });
      assert.equal(again.body.code, 'two_step.challenge_invalid');
      const second = await signIn(account);
      const replay = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId: second.body.secondFactor.challengeId, method: 'totp', code },
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.code, 'two_step.code_invalid');
      nextStep();
      const later = await t.request('POST', '/v1/sessions/second-factor', {
        body: { challengeId: second.body.secondFactor.challengeId, method: 'totp', code: await totpCode(secret) },
      });
      assert.equal(later.status, 201, later.text);
    });

    test('a sign-in challenge is short-lived and takes five wrong codes at most', async () => {
      const account = await t.signUp();
      const { secret } = await withTotp(account);
      const expiring = await signIn(account);
      t.clock.advance(6 * MINUTE);
      const late = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId: expiring.body.secondFactor.challengeId, method: 'totp', code: await totpCode(secret) },
      });
      assert.equal(late.body.code, 'two_step.challenge_invalid');

      const guessed = await signIn(account, '198.51.100.20');
      const { challengeId } = guessed.body.secondFactor;
      const right = await totpCode(secret);
      const wrongCode = right === '000000' ? '000001' : '000000';
      const answers = [];
      for (let i = 0; i < 5; i++)
        answers.push(
          (
            await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
              body: { challengeId, method: 'totp', code: wrongCode },
              ip: '198.51.100.20',
            })
          ).body.code,
        );
      assert.deepEqual(answers, [
        'two_step.code_invalid',
        'two_step.code_invalid',
        'two_step.code_invalid',
        'two_step.code_invalid',
        'two_step.too_many_attempts',
      ]);
      const spent = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'totp', code: right },
        ip: '198.51.100.20',
      });
      assert.equal(spent.status, 429);
      assert.equal(spent.body.token, undefined);
    });

    test('a recovery code works once, even when 20 sign-ins send it at the same moment', async () => {
      const account = await t.signUp();
      const { recoveryCodes } = await withTotp(account);
      const challenges = await Promise.all(Array.from({ length: 20 }, () => signIn(account)));
      for (const c of challenges) assert.equal(c.status, 200, c.text);
      const code = recoveryCodes[0]!.toUpperCase();
      const answers = await Promise.all(
        challenges.map((c) =>
          // Only the refusals' bodies are read.
          t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
            body: { challengeId: c.body.secondFactor.challengeId, method: 'recovery_code', code },
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one sign-in: ${statuses.join(',')}`);
      // The others: the code was already used (400), or the guesses' rate limit answered first (429).
      for (const a of answers.filter((x) => x.status !== 201))
        assert.ok(['two_step.code_invalid', 'rate_limited'].includes(a.body.code), a.text);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token });
      assert.equal(security.body.recoveryCodes.remaining, 9);
    });

    test('with two recovery codes or fewer left the person is told, and a new set replaces the old', async () => {
      const account = await t.signUp();
      const { recoveryCodes } = await withTotp(account);
      for (const [i, code] of recoveryCodes.slice(0, 8).entries()) {
        const challenge = await signIn(account, `192.0.2.${i + 1}`);
        const done = await t.request('POST', '/v1/sessions/second-factor', {
          body: { challengeId: challenge.body.secondFactor.challengeId, method: 'recovery_code', code },
          ip: `192.0.2.${i + 1}`,
        });
        assert.equal(done.status, 201, done.text);
      }
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token });
      assert.deepEqual(security.body.recoveryCodes, { remaining: 2, low: true });
      await t.drainJobs();
      const notice = t.messages.to(account.email!).filter((m) => /recovery codes are running out/.test(m.subject));
      assert.equal(notice.length, 1);
      assert.match(notice[0]!.text, /only 2 unused recovery codes/);

      const renewed = await t.request<Api<'RecoveryCodeSet'>>('POST', '/v1/me/recovery-codes', {
        token: account.token,
      });
      assert.equal(renewed.status, 201, renewed.text);
      assert.equal(renewed.body.codes.length, 10);
      assert.deepEqual(
        (await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token })).body.recoveryCodes,
        {
          remaining: 10,
          low: false,
        },
      );
      const challenge = await signIn(account);
      const old = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId: challenge.body.secondFactor.challengeId, method: 'recovery_code', code: recoveryCodes[9] },
      });
      assert.equal(old.body.code, 'two_step.code_invalid');
      const fresh = await t.request('POST', '/v1/sessions/second-factor', {
        body: {
          challengeId: challenge.body.secondFactor.challengeId,
          method: 'recovery_code',
          code: renewed.body.codes[0],
        },
      });
      assert.equal(fresh.status, 201, fresh.text);
    });

    test('removing the last factor needs a fresh session; re-authentication then asks the second factor', async () => {
      const account = await t.signUp();
      const { secret } = await withTotp(account);
      t.clock.advance(11 * MINUTE);
      const stale = await t.request<Api<'Problem'>>('DELETE', '/v1/me/totp', { token: account.token });
      assert.equal(stale.status, 403);
      assert.equal(stale.body.code, 'reauthentication_required');
      assert.equal(
        (await t.request<Api<'Problem'>>('POST', '/v1/me/recovery-codes', { token: account.token })).body.code,
        'reauthentication_required',
      );

      const byPassword = await t.request<Api<'Problem'>>('POST', '/v1/session/reauth', {
        token: account.token,
        body: { password: account.password },
      });
      assert.equal(byPassword.status, 403);
      assert.equal(byPassword.body.code, 'two_step.required');
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/session/reauth', {
        token: account.token,
        body: { method: 'totp', code: (await totpCode(secret)) === '999999' ? '999998' : '999999' },
      });
      assert.equal(wrong.body.code, 'two_step.code_invalid');
      const byFactor = await t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
        token: account.token,
        body: { method: 'totp', code: await totpCode(secret) },
      });
      assert.ok(byFactor.status === 204 || byFactor.status === 200, byFactor.text);
      const token = byFactor.body?.token ?? account.token;

      const removed = await t.request('DELETE', '/v1/me/totp', { token });
      assert.equal(removed.status, 204, removed.text);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token });
      assert.equal(security.body.secondFactorRequired, false);
      assert.equal(security.body.recoveryCodes.remaining, 0);
      assert.equal((await signIn(account)).status, 201);
      await t.drainJobs();
      assert.ok(t.messages.to(account.email!).some((m) => /authenticator app was removed/.test(m.text)));
    });

    test('password recovery by email does not bypass the second factor', async () => {
      const account = await t.signUp();
      const { recoveryCodes } = await withTotp(account);
      const captcha = await solvedCaptcha(t);
      assert.equal(
        (await t.request('POST', '/v1/recovery', { body: { login: account.email, channel: 'email', captcha } })).status,
        202,
      );
      await t.drainJobs();
      const code = t.messages
        .to(account.email!)
        .filter((m) => /reset code/.test(m.subject))
        .at(-1)!
        .text.match(/\b\d{6}\b/)![0];
      const newPassword = 'a new and long passphrase';

      const without = await t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
        body: { login: account.email, code, newPassword },
      });
      assert.equal(without.status, 403);
      assert.equal(without.body.code, 'two_step.required');
      // The password is unchanged.
      assert.equal((await signIn(account)).status, 200);
      const badFactor = await t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
        body: {
          login: account.email,
          code,
          newPassword,
          secondFactor: { method: 'recovery_code', code: 'aaaaa-aaaaa' },
        },
      });
      assert.equal(badFactor.body.code, 'two_step.code_invalid');
      const done = await t.request('POST', '/v1/recovery/complete', {
        body: {
          login: account.email,
          code,
          newPassword,
          secondFactor: { method: 'recovery_code', code: recoveryCodes[0] },
        },
      });
      assert.equal(done.status, 204, done.text);
      // The new password still asks the second factor.
      const after = await t.request<Api<'SecondFactorChallenge'>>('POST', '/v1/sessions', {
        body: { login: account.email, password: newPassword },
      });
      assert.equal(after.status, 200);
      assert.ok(after.body.secondFactor.challengeId);
    });

    test('Lock my account ends every session, refuses sign-in and tells every address; recovery opens it', async () => {
      const account = await t.signUp();
      const phone = uniquePhone();
      assert.equal((await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } })).status, 202);
      await t.drainJobs();
      assert.equal(
        (
          await t.request('POST', '/v1/me/phone/confirm', {
            token: account.token,
            body: { phone, code: t.messages.lastCode(phone) },
          })
        ).status,
        200,
      );
      const other = await signIn<BearerSession>(account);
      assert.equal(other.status, 201);
      // An app's access token, as the OpenID provider stores it (the apps' own tests issue them through the
      // whole code flow; here only its row matters).
      const { db } = t.app.database;
      await db
        .insertInto('oidc_records')
        .values({
          model: 'AccessToken',
          id: `at-${account.id}`,
          payload: '{}',
          account_id: account.id,
          client_id: 'some-app',
          grant_id: 'g1',
          uid: null,
          user_code: null,
          expires_at: t.clock.now() + 3_600_000,
          consumed_at: null,
        })
        .execute();
      // Any account session may lock, a stale one too: it is what a person who lost the account holds.
      t.clock.advance(30 * MINUTE);
      const locked = await t.request<Api<'AccountLocked'>>('POST', '/v1/me/lock', { token: other.body.token });
      assert.equal(locked.status, 202, locked.text);
      assert.ok(!Number.isNaN(Date.parse(locked.body.lockedAt)));
      for (const token of [account.token, other.body.token])
        assert.equal((await t.request('GET', '/v1/me', { token })).status, 401);
      assert.deepEqual(
        await db.selectFrom('oidc_records').select('id').where('account_id', '=', account.id).execute(),
        [],
        "the apps' tokens ended",
      );
      const refused = await signIn<Api<'Problem'>>(account);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'account.locked');
      // A wrong password still gets the usual answer: the lock is told only to who knows the password.
      assert.equal(
        (
          await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
            body: { login: account.email, password: 'not the password' },
          })
        ).body.code,
        'invalid_credentials',
      );
      await t.drainJobs();
      assert.ok(t.messages.to(account.email!).some((m) => /account is locked/.test(m.subject)));
      assert.ok(t.messages.to(phone).some((m) => /account is locked/.test(m.subject)));

      const captcha = await solvedCaptcha(t);
      assert.equal(
        (await t.request('POST', '/v1/recovery', { body: { login: account.email, channel: 'email', captcha } })).status,
        202,
      );
      await t.drainJobs();
      const code = t.messages
        .to(account.email!)
        .filter((m) => /reset code/.test(m.subject))
        .at(-1)!
        .text.match(/\b\d{6}\b/)![0];
      assert.equal(
        (
          await t.request('POST', '/v1/recovery/complete', {
            body: { login: account.email, code, newPassword: 'the owner is back again' },
          })
        ).status,
        204,
      );
      const opened = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: 'the owner is back again' },
      });
      assert.equal(opened.status, 201, opened.text);
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: opened.body.token });
      const types = events.body.events.map((e: Api<'SecurityEvent'>) => e.type);
      assert.ok(types.includes('account.locked') && types.includes('account.unlocked'), types.join(','));
    });

    test('the settings need an account session: a device token and no token are refused', async () => {
      const account = await t.signUp();
      assert.equal((await t.request('GET', '/v1/me/security')).status, 401);
      assert.equal((await t.request('POST', '/v1/me/lock')).status, 401);
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN-2FA-${Date.now()}`, model: 'Pixel 9', name: 'Phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201, linked.text);
      for (const [method, url] of [
        ['GET', '/v1/me/security'],
        ['POST', '/v1/me/totp'],
        ['POST', '/v1/me/lock'],
        ['POST', '/v1/me/recovery-codes'],
      ] as const) {
        const answer = await t.request(method, url, { token: linked.body.deviceToken });
        assert.equal(answer.status, 403, `${method} ${url}: ${answer.text}`);
      }
    });
  });
}
