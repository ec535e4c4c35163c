import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import {
  createTestApp,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type TestAccount,
  type TestApp,
} from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const MINUTE = 60_000;

for (const database of testDatabases()) {
  describe(`password recovery (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
    });
    after(async () => t.close());

    /** Adds a confirmed phone number to an account, as its owner would. */
    async function addPhone(account: TestAccount): Promise<string> {
      const phone = uniquePhone();
      assert.equal((await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } })).status, 202);
      await t.drainJobs();
      const confirmed = await t.request('POST', '/v1/me/phone/confirm', {
        token: account.token,
        body: { phone, code: t.messages.lastCode(phone) },
      });
      assert.equal(confirmed.status, 200);
      return phone;
    }

    /** The code in the newest recovery code message to an address (notices may be delivered after it). */
    function recoveryCode(address: string): string {
      const message = t.messages
        .to(address)
        .filter((m) => /reset code|restablecer la contraseña/.test(m.subject))
        .at(-1);
      const codes = message?.text.match(/\b\d{6}\b/g) ?? [];
      assert.equal(codes.length, 1, `one code in the last recovery message to ${address}`);
      return codes[0]!;
    }

    async function askForCode(login: string, channel: 'email' | 'sms', ip?: string) {
      const captcha = await solvedCaptcha(t, ip);
      const answer = await t.request<Api<'Accepted'>>('POST', '/v1/recovery', {
        body: { login, channel, captcha },
        ...(ip ? { ip } : {}),
      });
      await t.drainJobs();
      return answer;
    }

    test('a code by email sets a new password: web and API sessions end, profile and devices stay, both addresses are told', async () => {
      const account = await t.signUp({ name: 'Ada Lovelace' });
      const phone = await addPhone(account);
      const other = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      assert.equal(other.status, 201);
      const linked = await t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN-${Date.now()}`, model: 'Redmi Note 13', name: 'My phone', kind: 'phone' },
      });
      assert.equal(linked.status, 201, linked.text);
      const profileBefore = (await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body;

      const asked = await askForCode(account.email!, 'email');
      assert.equal(asked.status, 202);
      const codeMessage = t.messages.to(account.email!).find((m) => /reset code/.test(m.subject));
      assert.ok(codeMessage, 'the code went to the email address');
      assert.match(codeMessage.text, /did not ask/);
      const done = await t.request('POST', '/v1/recovery/complete', {
        body: { login: account.email, code: recoveryCode(account.email!), newPassword: 'a new and long passphrase' },
        ip: '203.0.113.9',
      });
      assert.equal(done.status, 204, done.text);

      for (const token of [account.token, other.body.token])
        assert.equal((await t.request('GET', '/v1/me', { token })).status, 401);
      // The device's token is kept (see RecoveryService), so Find Device still reaches it.
      assert.equal((await t.request('GET', '/v1/device', { token: linked.body.deviceToken })).status, 200);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        401,
      );
      const fresh = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: phone, password: 'a new and long passphrase' },
      });
      assert.equal(fresh.status, 201);
      assert.deepEqual(
        (await t.request<Api<'Account'>>('GET', '/v1/me', { token: fresh.body.token })).body,
        profileBefore,
      );
      const devices = await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: fresh.body.token });
      assert.deepEqual(
        devices.body.devices.map((d: { id: string; locked: boolean }) => [d.id, d.locked]),
        [[linked.body.device.id, true]],
      );
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: fresh.body.token });
      assert.ok(
        events.body.events.some(
          (e: { type: string; ip: string }) => e.type === 'password.recovered' && e.ip === '203.0.113.9',
        ),
      );

      await t.drainJobs();
      for (const address of [account.email!, phone]) {
        const notice = t.messages.to(address).find((m) => /password was reset/.test(m.subject));
        assert.ok(notice, `the owner is told at ${address}`);
        assert.match(notice.text, /203\.0\.113\.9/);
        assert.match(notice.text, /email address/, 'the notice says which channel the code went to');
      }
    });

    test('the code can go by SMS, and any login of the account completes it; the email is told too', async () => {
      const account = await t.signUp();
      const phone = await addPhone(account);
      const emailsBefore = t.messages.to(account.email!).length;
      assert.equal((await askForCode(phone, 'sms')).status, 202);
      assert.equal(t.messages.to(account.email!).length, emailsBefore, 'the code went by SMS only');
      const sms = t.messages.to(phone).find((m) => /reset code/.test(m.subject));
      assert.equal(sms?.channel, 'sms');
      const done = await t.request('POST', '/v1/recovery/complete', {
        body: { login: account.id, code: recoveryCode(phone), newPassword: 'sms recovered passphrase' },
      });
      assert.equal(done.status, 204, done.text);
      await t.drainJobs();
      const notice = t.messages.to(account.email!).find((m) => /password was reset/.test(m.subject));
      assert.ok(notice, 'the email address is told');
      assert.match(notice.text, /phone number/);
      assert.equal(
        (
          await t.request('POST', '/v1/sessions', {
            body: { login: account.email, password: 'sms recovered passphrase' },
          })
        ).status,
        201,
      );
    });

    test('an unknown login and a channel the account lacks get the same answer as a real request, and nothing is sent', async () => {
      const account = await t.signUp();
      const real = await askForCode(account.email!, 'email');
      const sentBefore = t.messages.sent.length;
      const unknown = await askForCode(uniqueEmail('nobody'), 'email');
      const unknownPhone = await askForCode(uniquePhone(), 'sms');
      const noPhone = await askForCode(account.email!, 'sms');
      for (const answer of [unknown, unknownPhone, noPhone]) {
        assert.equal(answer.status, real.status);
        assert.equal(answer.text, real.text);
        assert.equal(answer.headers['content-type'], real.headers['content-type']);
      }
      assert.equal(t.messages.sent.length, sentBefore, 'no message for an unknown login or a missing channel');
      // An unknown login has no code to complete: it reads as a wrong code, not as "no such account".
      const complete = await t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
        body: { login: uniqueEmail('nobody'), code: '123456', newPassword: 'whatever passphrase' },
      });
      assert.equal(complete.status, 400);
      assert.equal(complete.body.code, 'code_invalid');
    });

    test('a known and an unknown login cost the request the same work: one queued job, no code until it runs', async () => {
      const account = await t.signUp();
      const { db } = t.app.database;
      const codesOf = async () =>
        (await db.selectFrom('verification_codes').select('id').where('account_id', '=', account.id).execute()).length;
      const recoveryJobs = async () =>
        (await db.selectFrom('jobs').select('id').where('kind', '=', 'recovery.request').execute()).length;
      await t.drainJobs();
      const codesBefore = await codesOf();
      for (const login of [account.email!, uniqueEmail('nobody')]) {
        const captcha = await solvedCaptcha(t);
        const jobsBefore = await recoveryJobs();
        assert.equal(
          (await t.request('POST', '/v1/recovery', { body: { login, channel: 'email', captcha } })).status,
          202,
        );
        assert.equal(
          await recoveryJobs(),
          jobsBefore + 1,
          `one job for ${login === account.email ? 'the known' : 'the unknown'} login`,
        );
        assert.equal(await codesOf(), codesBefore, 'the request itself issues no code');
      }
      const job = await db
        .selectFrom('jobs')
        .select('payload')
        .where('kind', '=', 'recovery.request')
        .executeTakeFirstOrThrow();
      assert.ok(!job.payload.includes(account.email!), 'the queued login is sealed');
      await t.drainJobs();
      assert.equal(await recoveryJobs(), 0);
      assert.equal(await codesOf(), codesBefore + 1, 'the job issued the code of the known login');
      assert.ok(t.messages.to(account.email!).some((m) => /reset code/.test(m.subject)));
    });

    test('without a solved captcha, or with a used one, no code is sent', async () => {
      const account = await t.signUp();
      const sentBefore = t.messages.to(account.email!).length;
      const missing = await t.request<Api<'Problem'>>('POST', '/v1/recovery', {
        body: { login: account.email, channel: 'email' },
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.code, 'captcha_required');
      assert.equal(missing.body.reason, 'missing');
      const garbage = await t.request<Api<'Problem'>>('POST', '/v1/recovery', {
        body: { login: account.email, channel: 'email', captcha: 'bm90IGEgcGF5bG9hZA==' },
      });
      assert.equal(garbage.body.code, 'captcha_required');
      assert.equal(garbage.body.reason, 'invalid');

      const captcha = await solvedCaptcha(t);
      assert.equal(
        (await t.request('POST', '/v1/recovery', { body: { login: account.email, channel: 'email', captcha } })).status,
        202,
      );
      const replay = await t.request<Api<'Problem'>>('POST', '/v1/recovery', {
        body: { login: account.email, channel: 'email', captcha },
      });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.code, 'captcha_required');
      assert.equal(replay.body.reason, 'used');
      assert.match(replay.body.detail, /already used/);
      await t.drainJobs();
      assert.equal(t.messages.to(account.email!).length, sentBefore + 1, 'one code, for the one accepted captcha');
    });

    test('10 concurrent submissions of one solved captcha: exactly one is accepted', async () => {
      const captcha = await solvedCaptcha(t);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.request<Api<'Accepted'>>('POST', '/v1/recovery', {
            body: { login: uniqueEmail(`race${i}`), channel: 'email', captcha },
            ip: `198.51.100.${i + 1}`,
          }),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [202, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
      for (const refused of answers.filter((a) => a.status === 400)) assert.equal(refused.body.reason, 'used');
    });

    test('wrong, expired and used codes are refused, and the fifth wrong try ends the code', async () => {
      const account = await t.signUp();
      // Read only when refused: a completed recovery answers 204 without a body.
      const complete = (code: string, newPassword = 'another good passphrase') =>
        t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
          body: { login: account.email, code, newPassword },
        });

      await askForCode(account.email!, 'email');
      const code = recoveryCode(account.email!);
      const wrong = await complete(code === '000000' ? '111111' : '000000');
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.code, 'code_invalid');
      const weak = await complete(code, 'password');
      assert.equal(weak.body.code, 'validation_failed', 'a common password is refused before the code is spent');
      t.clock.advance(16 * MINUTE);
      // Expired and spent read like wrong (see src/http/enumeration.test.ts).
      assert.equal((await complete(code)).body.code, 'code_invalid');

      await askForCode(account.email!, 'email');
      const second = recoveryCode(account.email!);
      assert.equal((await complete(second)).status, 204);
      assert.equal((await complete(second)).body.code, 'code_invalid', 'a code works once');

      await askForCode(account.email!, 'email');
      const third = recoveryCode(account.email!);
      const miss = third === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) assert.equal((await complete(miss)).body.code, 'code_invalid');
      const spent = await complete(third);
      assert.equal(spent.status, 400);
      assert.equal(spent.body.code, 'code_invalid');
    });

    test("a code is bound to its account: it does not reset another account's password", async () => {
      const owner = await t.signUp();
      const victim = await t.signUp();
      await askForCode(owner.email!, 'email');
      const stolen = await t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
        body: { login: victim.email, code: recoveryCode(owner.email!), newPassword: 'taken over passphrase' },
      });
      assert.equal(stolen.status, 400);
      assert.equal(stolen.body.code, 'code_invalid');
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: victim.email, password: victim.password } })).status,
        201,
      );
    });

    test('16 concurrent completions with the right code: exactly one sets its password', async () => {
      const account = await t.signUp();
      const other = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      await askForCode(account.email!, 'email');
      const code = recoveryCode(account.email!);
      const answers = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          t.request<Api<'Problem'> | undefined>('POST', '/v1/recovery/complete', {
            body: { login: account.email, code, newPassword: `racing passphrase ${i}` },
          }),
        ),
      );
      const winners = answers.flatMap((a, i) => (a.status === 204 ? [i] : []));
      assert.equal(winners.length, 1, answers.map((a) => `${a.status} ${a.body?.code ?? ''}`).join(', '));
      for (const loser of answers.filter((a) => a.status !== 204))
        assert.ok(['code_invalid', 'too_many_attempts'].includes(loser.body?.code ?? ''), loser.text);
      assert.equal((await t.request('GET', '/v1/me', { token: other.body.token })).status, 401);
      assert.equal(
        (
          await t.request('POST', '/v1/sessions', {
            body: { login: account.email, password: `racing passphrase ${winners[0]}` },
          })
        ).status,
        201,
      );
    });

    test('asking for codes is limited per login and per IP, alike for known and unknown logins', async () => {
      const account = await t.signUp();
      const stranger = uniqueEmail('stranger');
      for (const login of [account.email!, stranger]) {
        for (let i = 0; i < 5; i++) assert.equal((await askForCode(login, 'email', `192.0.2.${i + 100}`)).status, 202);
        const refused = await askForCode(login, 'email', '192.0.2.200');
        assert.equal(refused.status, 429, login);
        assert.equal(refused.body.code, 'rate_limited');
      }
      const ip = '192.0.2.222';
      for (let i = 0; i < 30; i++) assert.equal((await askForCode(uniqueEmail(`spray${i}`), 'email', ip)).status, 202);
      assert.equal((await askForCode(uniqueEmail('one more'), 'email', ip)).status, 429);
    });
  });
}
