import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, uniqueEmail, uniquePhone, type TestApp } from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`profile (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('changes the name, clears it with null, and refuses control characters', async () => {
      const account = await t.signUp({ name: 'Ana' });
      const renamed = await t.request<Api<'Account'>>('PATCH', '/v1/me', {
        token: account.token,
        body: { name: '  María José  ' },
      });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'María José');
      const cleared = await t.request<Api<'Account'>>('PATCH', '/v1/me', {
        token: account.token,
        body: { name: null },
      });
      assert.equal(cleared.body.name, null);
      const bad = await t.request<Api<'Problem'>>('PATCH', '/v1/me', {
        token: account.token,
        body: { name: 'evil\u0000name' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors?.[0]?.path, 'name');
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.name, null);
    });

    test('adds a phone to an email account with a code sent by SMS to the new number', async () => {
      const account = await t.signUp();
      const phone = uniquePhone();
      const asked = await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } });
      assert.equal(asked.status, 202);
      await t.drainJobs();
      const [message] = t.messages.to(phone);
      assert.equal(message?.channel, 'sms');
      const confirmed = await t.request<Api<'Account'>>('POST', '/v1/me/phone/confirm', {
        token: account.token,
        body: { phone, code: t.messages.lastCode(phone) },
      });
      assert.equal(confirmed.status, 200);
      assert.equal(confirmed.body.phone, phone);
      assert.equal(confirmed.body.email, account.email);
      // The new number now signs in too.
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: phone, password: account.password } })).status,
        201,
      );
    });

    test('changing the email tells the old address, and the old address no longer signs in', async () => {
      const account = await t.signUp();
      const newEmail = uniqueEmail('new');
      assert.equal(
        (await t.request('POST', '/v1/me/email', { token: account.token, body: { email: newEmail } })).status,
        202,
      );
      await t.drainJobs();
      const confirmed = await t.request<Api<'Account'>>('POST', '/v1/me/email/confirm', {
        token: account.token,
        body: { email: newEmail, code: t.messages.lastCode(newEmail) },
      });
      assert.equal(confirmed.status, 200);
      assert.equal(confirmed.body.email, newEmail);
      await t.drainJobs();
      const notice = t.messages.to(account.email!).at(-1)!;
      assert.match(notice.subject, /email address was changed/);
      assert.ok(notice.text.includes(newEmail));
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        401,
      );
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: newEmail, password: account.password } })).status,
        201,
      );
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token });
      assert.ok(events.body.events.some((e: { type: string }) => e.type === 'email.changed'));
    });

    test('a code for one new address cannot confirm another, and a wrong code changes nothing', async () => {
      const account = await t.signUp();
      const wanted = uniqueEmail('wanted');
      const other = uniqueEmail('other');
      await t.request('POST', '/v1/me/email', { token: account.token, body: { email: wanted } });
      await t.drainJobs();
      const code = t.messages.lastCode(wanted);
      const swapped = await t.request<Api<'Problem'>>('POST', '/v1/me/email/confirm', {
        token: account.token,
        body: { email: other, code },
      });
      assert.equal(swapped.status, 400);
      assert.equal(swapped.body.code, 'code_invalid');
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/me/email/confirm', {
        token: account.token,
        body: { email: wanted, code: code === '123456' ? '654321' : '123456' },
      });
      assert.equal(wrong.body.code, 'code_invalid');
      assert.equal(
        (await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.email,
        account.email,
      );
    });

    test("another account's code for the same new address is useless to this account", async () => {
      const alice = await t.signUp();
      const bob = await t.signUp();
      const target = uniqueEmail('shared');
      await t.request('POST', '/v1/me/email', { token: alice.token, body: { email: target } });
      await t.drainJobs();
      const alicesCode = t.messages.lastCode(target);
      await t.request('POST', '/v1/me/email', { token: bob.token, body: { email: target } });
      const stolen = await t.request('POST', '/v1/me/email/confirm', {
        token: bob.token,
        body: { email: target, code: alicesCode },
      });
      assert.equal(stolen.status, 400);
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: bob.token })).body.email, bob.email);
    });

    test('an address that another account took meanwhile is a conflict', async () => {
      const alice = await t.signUp();
      const target = uniqueEmail('contested');
      await t.request('POST', '/v1/me/email', { token: alice.token, body: { email: target } });
      await t.drainJobs();
      const code = t.messages.lastCode(target);
      await t.signUp({ email: target });
      const late = await t.request<Api<'Problem'>>('POST', '/v1/me/email/confirm', {
        token: alice.token,
        body: { email: target, code },
      });
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'account.address_taken');
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: alice.token })).body.email, alice.email);
    });

    test('asking to change to the address the account already has is a conflict', async () => {
      const account = await t.signUp();
      const same = await t.request('POST', '/v1/me/email', { token: account.token, body: { email: account.email } });
      assert.equal(same.status, 409);
    });

    test('promoting an existing account to staff with a new password ends its old sessions', async () => {
      const account = await t.signUp();
      const promoted = await t.app.services.accounts.createStaff({
        email: account.email!,
        password: 'staff passphrase here',
        role: 'support',
      });
      assert.deepEqual(promoted, { id: account.id, created: false });
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 401);
      const signIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: 'staff passphrase here' },
      });
      assert.equal(signIn.status, 201);
      assert.equal(signIn.body.account.role, 'support');
    });

    test('malformed addresses are refused with the field named', async () => {
      const account = await t.signUp();
      for (const [route, body, path] of [
        ['/v1/me/email', { email: 'not-an-address' }, 'email'],
        ['/v1/me/phone', { phone: '612345678' }, 'phone'],
        ['/v1/me/phone', { phone: '+00 000' }, 'phone'],
      ] as const) {
        const answer = await t.request<Api<'Problem'>>('POST', route, { token: account.token, body });
        assert.equal(answer.status, 400, route);
        assert.equal(answer.body.code, 'validation_failed');
        assert.equal(answer.body.errors?.[0]?.path, path);
      }
    });
  });
}
