import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, uniqueEmail, uniquePhone, type TestApp } from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`sign-up (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('an email gets a 6-digit code, and the code with a password creates the account and a session', async () => {
      const email = uniqueEmail();
      const started = await t.request('POST', '/v1/signup', { body: { email: email.toUpperCase() } });
      assert.equal(started.status, 202);
      await t.drainJobs();
      const code = t.messages.lastCode(email);
      const done = await t.request<BearerSession>('POST', '/v1/signup/complete', {
        body: { email, code, password: 'a long unusual passphrase', name: 'Ana' },
      });
      assert.equal(done.status, 201);
      assert.equal(done.body.account.email, email);
      assert.equal(done.body.account.name, 'Ana');
      assert.match(done.body.token ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(done.body.expiresAt) > t.clock.now());
      const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token: done.body.token });
      assert.equal(me.status, 200);
      assert.deepEqual(Object.keys(me.body).sort(), ['createdAt', 'email', 'id', 'locale', 'name', 'phone', 'role']);
      assert.equal(me.body.id, done.body.account.id);
    });

    test('a phone number gets its code by SMS and is stored in E.164 form', async () => {
      const phone = uniquePhone();
      const spaced = `${phone.slice(0, 3)} ${phone.slice(3, 6)} ${phone.slice(6)}`;
      assert.equal((await t.request('POST', '/v1/signup', { body: { phone: spaced } })).status, 202);
      await t.drainJobs();
      const [message] = t.messages.to(phone);
      assert.equal(message?.channel, 'sms');
      const done = await t.request<BearerSession>('POST', '/v1/signup/complete', {
        body: { phone: spaced, code: t.messages.lastCode(phone), password: 'another fine passphrase' },
      });
      assert.equal(done.status, 201);
      assert.equal(done.body.account.phone, phone);
      assert.equal(done.body.account.email, null);
    });

    test('an address that already has an account gets the same 202, and its owner is told instead of sent a code', async () => {
      const owner = await t.signUp();
      const before = t.messages.to(owner.email!).length;
      const again = await t.request<Api<'Accepted'>>('POST', '/v1/signup', { body: { email: owner.email } });
      assert.equal(again.status, 202);
      assert.deepEqual(again.body, {});
      await t.drainJobs();
      const notices = t.messages.to(owner.email!).slice(before);
      assert.equal(notices.length, 1);
      assert.match(notices[0]!.subject, /tried to sign up/);
      assert.doesNotMatch(notices[0]!.text, /\b\d{6}\b/);
    });

    test('Spanish is used for messages when the browser asks for it', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email }, headers: { 'accept-language': 'es-ES,es;q=0.9' } });
      await t.drainJobs();
      assert.match(t.messages.to(email)[0]!.text, /Tu código para crear una cuenta/);
    });

    test('a wrong code is refused, counts as a try, and five wrong tries spend the code', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const code = t.messages.lastCode(email);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        const attempt = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
          body: { email, code: wrong, password: 'a long unusual passphrase' },
        });
        assert.equal(attempt.status, 400);
        assert.equal(attempt.body.code, 'code_invalid');
      }
      const right = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
        body: { email, code, password: 'a long unusual passphrase' },
      });
      // Spent reads like wrong: a distinct answer would tell that this address has a code, so no account.
      assert.equal(right.status, 400);
      assert.equal(right.body.code, 'code_invalid');
      const signIn = await t.request('POST', '/v1/sessions', {
        body: { login: email, password: 'a long unusual passphrase' },
      });
      assert.equal(signIn.status, 401, 'no account was created');
    });

    test('a code past its 15 minutes is refused like a wrong one', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      t.clock.advance(15 * 60_000 + 1);
      const late = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
        body: { email, code: t.messages.lastCode(email), password: 'a long unusual passphrase' },
      });
      assert.equal(late.status, 400);
      assert.equal(late.body.code, 'code_invalid');
      assert.match(late.body.detail, /expired/);
    });

    test('a code works once: reusing it after success is refused', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const code = t.messages.lastCode(email);
      assert.equal(
        (
          await t.request('POST', '/v1/signup/complete', {
            body: { email, code, password: 'a long unusual passphrase' },
          })
        ).status,
        201,
      );
      const reuse = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
        body: { email, code, password: 'a long unusual passphrase' },
      });
      assert.equal(reuse.status, 400);
      assert.equal(reuse.body.code, 'code_invalid');
    });

    test('a new request replaces the previous code', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const first = t.messages.lastCode(email);
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const second = t.messages.lastCode(email);
      if (first !== second) {
        const old = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
          body: { email, code: first, password: 'a long unusual passphrase' },
        });
        assert.equal(old.body.code, 'code_invalid');
      }
      assert.equal(
        (
          await t.request('POST', '/v1/signup/complete', {
            body: { email, code: second, password: 'a long unusual passphrase' },
          })
        ).status,
        201,
      );
    });

    test('a code is bound to its address: another address cannot use it', async () => {
      const email = uniqueEmail();
      const other = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.request('POST', '/v1/signup', { body: { email: other } });
      await t.drainJobs();
      const stolen = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
        body: { email: other, code: t.messages.lastCode(email), password: 'a long unusual passphrase' },
      });
      if (t.messages.lastCode(email) !== t.messages.lastCode(other)) assert.equal(stolen.body.code, 'code_invalid');
    });

    test('16 concurrent completions with the right code create exactly one account', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const code = t.messages.lastCode(email);
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          t.request<BearerSession>('POST', '/v1/signup/complete', {
            body: { email, code, password: `racing passphrase ${i}` },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`);
      for (const loser of results.filter((r) => r.status !== 201)) {
        assert.ok(loser.status >= 400 && loser.status < 500, `a loser answered ${loser.status}`);
        assert.equal(loser.headers['content-type'], 'application/problem+json; charset=utf-8');
      }
      const winner = results.find((r) => r.status === 201)!;
      const index = results.indexOf(winner);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: email, password: `racing passphrase ${index}` } }))
          .status,
        201,
      );
    });

    test('weak passwords are refused with the reason, and the code stays usable', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const code = t.messages.lastCode(email);
      for (const [password, reason] of [
        ['short', /at least 8/],
        ['password123', /common/],
        ['x'.repeat(129), /at most 128/],
      ] as const) {
        const refused = await t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
          body: { email, code, password },
        });
        assert.equal(refused.status, 400);
        assert.equal(refused.body.code, 'validation_failed');
        assert.equal(refused.body.errors?.[0]?.path, 'password');
        assert.match(refused.body.errors?.[0]?.message ?? '', reason);
      }
      assert.equal(
        (await t.request('POST', '/v1/signup/complete', { body: { email, code, password: 'finally a good one' } }))
          .status,
        201,
      );
    });

    test('more than 5 codes to one address in 15 minutes are refused with Retry-After', async () => {
      const email = uniqueEmail();
      for (let i = 0; i < 5; i++)
        assert.equal((await t.request('POST', '/v1/signup', { body: { email } })).status, 202);
      const sixth = await t.request<Api<'Problem'>>('POST', '/v1/signup', { body: { email } });
      assert.equal(sixth.status, 429);
      assert.equal(sixth.body.code, 'rate_limited');
      assert.ok(Number(sixth.headers['retry-after']) > 0);
    });
  });
}
