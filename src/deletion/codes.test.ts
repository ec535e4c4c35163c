import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { requestDeletion, rowsOf } from './test-helpers.js';
import type { Api } from '../testing/api-types.js';

for (const database of testDatabases()) {
  describe(`deletion codes (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(() => t.close());

    const confirm = <T = Api<'DeletionConfirmed'>>(token: string, id: string, code: string) =>
      t.request<T>('POST', `/v1/me/deletion/${id}/confirm`, { token, body: { code } });

    test('the code expires 60 seconds after it was sent', async () => {
      const account = await t.signUp();
      const late = await requestDeletion(t, account);
      t.clock.advance(60_000);
      assertProblem(await confirm(account.token, late.id, late.code), 400, 'code_expired');
      const justInTime = await requestDeletion(t, account);
      t.clock.advance(59_999);
      const confirmed = await confirm(account.token, justInTime.id, justInTime.code);
      assert.equal(confirmed.status, 200, confirmed.text);
    });

    test('five wrong codes spend the code: even the right one is refused after them, and nothing is deleted', async () => {
      const account = await t.signUp();
      const { id, code } = await requestDeletion(t, account);
      const wrong = code === '000000' ? '000001' : '000000';
      for (let left = 4; left >= 0; left--) {
        const refused = await confirm<Api<'Problem'>>(account.token, id, wrong);
        assertProblem(refused, 400, 'code_invalid');
        assert.equal(refused.body.attemptsLeft, left);
      }
      assertProblem(await confirm(account.token, id, code), 429, 'too_many_attempts');
      assert.equal((await t.request('GET', '/v1/me', { token: account.token })).status, 200);
      // A new request brings a new code with five tries again.
      const fresh = await requestDeletion(t, account);
      assert.equal((await confirm(account.token, fresh.id, fresh.code)).status, 200);
    });

    test('a new request replaces the previous code: the old one no longer confirms anything', async () => {
      const account = await t.signUp();
      const first = await requestDeletion(t, account);
      const second = await requestDeletion(t, account);
      assert.notEqual(first.id, second.id);
      assertProblem(await confirm(account.token, first.id, first.code), 400, 'code_invalid');
      if (first.code !== second.code)
        assertProblem(await confirm(account.token, second.id, first.code), 400, 'code_invalid');
      const confirmed = await confirm(account.token, second.id, second.code);
      assert.equal(confirmed.status, 200, confirmed.text);
    });

    test("one account's code does not confirm another account's deletion", async () => {
      const owner = await t.signUp();
      const intruder = await t.signUp();
      const { id, code } = await requestDeletion(t, owner);
      assertProblem(await confirm(intruder.token, id, code), 400, 'code_invalid');
      assert.equal((await t.request('GET', '/v1/me', { token: intruder.token })).status, 200);
      assert.equal((await t.request('GET', '/v1/me', { token: owner.token })).status, 200);
    });

    test('of 20 concurrent confirmations with the right code, exactly one succeeds', async () => {
      const account = await t.signUp();
      const { id, code } = await requestDeletion(t, account);
      const answers = await Promise.all(Array.from({ length: 20 }, () => confirm(account.token, id, code)));
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(', ')}`);
      for (const answer of answers.filter((a) => a.status !== 200)) {
        assert.ok([400, 401, 429].includes(answer.status), `a loser answers 4xx, not ${answer.status}: ${answer.text}`);
        assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
      }
      await t.drainJobs();
      assert.deepEqual(await rowsOf(t.app, account.id), {});
      const erasures = await t.app.database.db
        .selectFrom('erasures')
        .select('status')
        .where('account_hash', '=', t.app.services.deletion.accountHash(account.id))
        .execute();
      assert.deepEqual(erasures, [{ status: 'erased' }]);
      // One final message, not one per racer.
      assert.equal(t.messages.to(account.email!).filter((m) => /was deleted/.test(m.text)).length, 1);
    });

    test('after the deletion, its request and every code of the account are dead', async () => {
      const account = await t.signUp();
      const { id, code } = await requestDeletion(t, account);
      assert.equal((await confirm(account.token, id, code)).status, 200);
      assertProblem(await confirm(account.token, id, code), 401, 'unauthenticated');
      const recovery = await t.app.database.db
        .selectFrom('verification_codes')
        .select('id')
        .where('account_id', '=', account.id)
        .execute();
      assert.deepEqual(recovery, []);
    });
  });
}
