import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorRegistry } from './errors.js';
import { assertChangesNothing, assertProblem } from '../testing/problems.js';
import {
  createTestApp,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type TestAccount,
  type TestApp,
} from '../testing/test-app.js';
import { reauthenticate } from '../testing/reauth.js';
import type { Api, BearerSession } from '../testing/api-types.js';

// The routes that take a verification code, given wrong, expired, reused, misdirected and racing codes.
// Sign-up's own wrong, expired, reused and racing codes are in src/accounts/signup.test.ts.

const MINUTE = 60_000;
// Wrong codes count as tries on the code itself; everything else must stay as it was.
const IGNORE_CODE_ROWS = { ignore: ['verification_codes' as const] };

let ipCounter = 0;
/** A fresh client address, so that the per-IP limit on codes sent never gets in the way of these tests. */
const nextIp = () => {
  ipCounter += 1;
  return `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
};

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

for (const database of testDatabases()) {
  describe(`routes that take a verification code refuse bad codes and change nothing (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    for (const field of ['email', 'phone'] as const) {
      const newAddress = field === 'email' ? uniqueEmail : uniquePhone;
      const confirmUrl = `/v1/me/${field}/confirm`;

      /** Asks for a change of address and returns the code that was sent to the new one. */
      const ask = async (account: TestAccount, address: string): Promise<string> => {
        const asked = await t.request('POST', `/v1/me/${field}`, {
          token: account.token,
          body: { [field]: address },
          ip: nextIp(),
        });
        assert.equal(asked.status, 202, asked.text);
        await t.drainJobs();
        return t.messages.lastCode(address);
      };
      const confirm = <T = Api<'Account'>>(account: TestAccount, address: string, code: string) =>
        t.request<T>('POST', confirmUrl, { token: account.token, body: { [field]: address, code } });

      test(`${confirmUrl} with a wrong code answers 400 code_invalid with the tries left, and the right code still works`, async () => {
        const account = await t.signUp();
        const address = newAddress();
        const code = await ask(account, address);
        const refused = await assertChangesNothing(
          t,
          [account],
          () => confirm<Api<'Problem'>>(account, address, otherCode(code)),
          IGNORE_CODE_ROWS,
        );
        assertProblem(refused, 400, 'code_invalid');
        assert.equal(refused.body.attemptsLeft, 4);
        const confirmed = await confirm(account, address, code);
        assert.equal(confirmed.status, 200, confirmed.text);
        assert.equal(confirmed.body[field], address);
      });

      test(`${confirmUrl} with a code past its 15 minutes answers 400 code_expired`, async () => {
        const account = await t.signUp();
        const address = newAddress();
        const code = await ask(account, address);
        t.clock.advance(15 * MINUTE + 1);
        // An address change needs a fresh session: the password again, so that only the code is late.
        await reauthenticate(t, account);
        const refused = await assertChangesNothing(
          t,
          [account],
          () => confirm(account, address, code),
          IGNORE_CODE_ROWS,
        );
        assertProblem(refused, 400, 'code_expired');
      });

      test(`${confirmUrl} with a code that already worked answers 400 code_invalid and changes nothing more`, async () => {
        const account = await t.signUp();
        const address = newAddress();
        const code = await ask(account, address);
        assert.equal((await confirm(account, address, code)).status, 200);
        const refused = await assertChangesNothing(
          t,
          [account],
          () => confirm(account, address, code),
          IGNORE_CODE_ROWS,
        );
        assertProblem(refused, 400, 'code_invalid');
      });

      test(`${confirmUrl} without any code asked for answers 400 code_invalid`, async () => {
        const account = await t.signUp();
        const refused = await assertChangesNothing(
          t,
          [account],
          () => confirm(account, newAddress(), '123456'),
          IGNORE_CODE_ROWS,
        );
        assertProblem(refused, 400, 'code_invalid');
      });

      test(`${confirmUrl} after five wrong codes answers 429 too_many_attempts even to the right one`, async () => {
        const account = await t.signUp();
        const address = newAddress();
        const code = await ask(account, address);
        for (let i = 0; i < 5; i++)
          assertProblem(await confirm(account, address, otherCode(code)), 400, 'code_invalid');
        const refused = await assertChangesNothing(
          t,
          [account],
          () => confirm(account, address, code),
          IGNORE_CODE_ROWS,
        );
        assertProblem(refused, 429, 'too_many_attempts');
      });

      test(`${confirmUrl} with a code sent to another new address, or to another account, answers 400 code_invalid`, async () => {
        const account = await t.signUp();
        const stranger = await t.signUp();
        const mine = newAddress();
        const other = newAddress();
        const codeForOther = await ask(account, other);
        await ask(account, mine);
        const misdirected = await assertChangesNothing(
          t,
          [account, stranger],
          () => confirm(account, mine, codeForOther),
          IGNORE_CODE_ROWS,
        );
        if (codeForOther !== t.messages.lastCode(mine)) assertProblem(misdirected, 400, 'code_invalid');
        const shared = newAddress();
        const strangersCode = await ask(stranger, shared);
        const stolen = await assertChangesNothing(
          t,
          [account, stranger],
          () => confirm(account, shared, strangersCode),
          IGNORE_CODE_ROWS,
        );
        assertProblem(stolen, 400, 'code_invalid');
      });

      test(`16 concurrent ${confirmUrl} with the right code: exactly one wins, the rest get a 4xx problem`, async () => {
        const account = await t.signUp();
        const old = newAddress();
        // Start from an address of this kind, so that the old one is told exactly once.
        if (field === 'phone') assert.equal((await confirm(account, old, await ask(account, old))).status, 200);
        const previous = field === 'email' ? account.email! : old;
        const address = newAddress();
        const code = await ask(account, address);
        await t.drainJobs();
        const noticesBefore = t.messages.to(previous).length;
        const eventsBefore = (
          await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token })
        ).body.events;

        const results = await Promise.all(
          Array.from({ length: 16 }, () => confirm<Api<'Problem'>>(account, address, code)),
        );
        const statuses = results.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
        for (const loser of results.filter((r) => r.status !== 200)) {
          assert.ok(loser.status >= 400 && loser.status < 500, `a loser answered ${loser.status}: ${loser.text}`);
          assertProblem(loser, loser.status, loser.body.code, 'a losing submission');
          assert.ok(loser.body.code in errorRegistry);
        }

        assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body[field], address);
        const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token }))
          .body.events;
        assert.deepEqual(events.slice(1), eventsBefore);
        assert.equal(events[0]?.type, `${field}.changed`);
        await t.drainJobs();
        assert.equal(t.messages.to(previous).length - noticesBefore, 1, 'the old address is told once');
      });
    }

    test('a sign-up code cannot confirm an address change, nor an address-change code complete a sign-up', async () => {
      const account = await t.signUp();
      const email = uniqueEmail();
      assert.equal((await t.request('POST', '/v1/signup', { body: { email }, ip: nextIp() })).status, 202);
      await t.drainJobs();
      const signupCode = t.messages.lastCode(email);
      const crossed = await assertChangesNothing(
        t,
        [account],
        () =>
          t.request<Api<'Account'>>('POST', '/v1/me/email/confirm', {
            token: account.token,
            body: { email, code: signupCode },
          }),
        IGNORE_CODE_ROWS,
      );
      assertProblem(crossed, 400, 'code_invalid');

      const other = uniqueEmail();
      assert.equal(
        (await t.request('POST', '/v1/me/email', { token: account.token, body: { email: other }, ip: nextIp() }))
          .status,
        202,
      );
      await t.drainJobs();
      const changeCode = t.messages.lastCode(other);
      const body = { email: other, code: changeCode, password: 'a long unusual passphrase' };
      const reversed = await assertChangesNothing(
        t,
        [account],
        () => t.request<BearerSession>('POST', '/v1/signup/complete', { body }),
        IGNORE_CODE_ROWS,
      );
      assertProblem(reversed, 400, 'code_invalid');
    });

    test('POST /v1/signup/complete for an address that never asked for a code answers 400 code_invalid', async () => {
      const body = { email: uniqueEmail(), code: '123456', password: 'a long unusual passphrase' };
      const refused = await assertChangesNothing(
        t,
        [],
        () => t.request<BearerSession>('POST', '/v1/signup/complete', { body }),
        IGNORE_CODE_ROWS,
      );
      assertProblem(refused, 400, 'code_invalid');
    });
  });
}
