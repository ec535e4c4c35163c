import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../testing/problems.js';
import { asStaff, createStaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const DAY = 24 * 60 * 60 * 1000;

interface Entry {
  id: string;
  kind: string;
  amount: number;
  reason: string;
  at: string;
  expiresAt: string | null;
}

for (const database of testDatabases()) {
  describe(`credits: expiry, refunds and the staff ledger (${database})`, () => {
    let t: TestApp;
    let asAdmin: TestApp['request'];
    let asSupport: TestApp['request'];

    before(async () => {
      t = await createTestApp({ database });
      asAdmin = asStaff(t, await createStaffMember(t, 'admin'));
      asSupport = asStaff(t, await createStaffMember(t, 'support'));
    });
    after(async () => t.close());

    const post = (accountId: string, body: Record<string, unknown>) =>
      asAdmin<Api<'PostedCredit'>>('POST', `/v1/admin/accounts/${accountId}/credits`, {
        body: { reason: 'Welcome gift', idempotencyKey: randomUUID(), ...body },
      });
    const inDays = (days: number) => new Date(t.clock.now() + days * DAY).toISOString();
    const history = async (token: string) =>
      (await t.request<{ balance: number; entries: Entry[] }>('GET', '/v1/me/credits', { token })).body;
    const cachedBalance = async (accountId: string) =>
      Number(
        (
          await t.app.database.db
            .selectFrom('credit_balances')
            .select('balance')
            .where('account_id', '=', accountId)
            .executeTakeFirstOrThrow()
        ).balance,
      );

    test('what is left of a grant expires at its time, spends taking the soonest-expiring credits first; the job is idempotent', async () => {
      const person = await t.signUp();
      const soon = await post(person.id, { amount: 100, reason: 'Launch week', expiresAt: inDays(1) });
      assert.equal(soon.status, 201, soon.text);
      assert.equal(soon.body.entry.expiresAt, inDays(1));
      const later = await post(person.id, { amount: 50, reason: 'Survey', expiresAt: inDays(2) });
      assert.equal(later.status, 201, later.text);
      assert.equal((await post(person.id, { amount: 30, reason: 'Forever' })).status, 201);
      const refund = await post(person.id, { amount: 20, kind: 'refund', reason: 'Order 7 refunded' });
      assert.equal(refund.status, 201, refund.text);
      assert.equal(refund.body.entry.kind, 'refund');
      // A correction is a spend: 120 takes the 100 that expire first, then 20 of the 50.
      const spent = await post(person.id, { amount: -120, reason: 'Correction' });
      assert.equal(spent.status, 201, spent.text);
      assert.equal(spent.body.balance, 80);

      // Nothing is left of the first grant when its time comes: nothing expires.
      t.clock.advance(DAY + 1000);
      await t.drainJobs();
      assert.equal((await history(person.token)).balance, 80);
      // 30 are left of the second: they expire, with the grant's reason.
      t.clock.advance(DAY);
      await t.drainJobs();
      const after = await history(person.token);
      assert.equal(after.balance, 50);
      const expiry = after.entries[0]!;
      assert.deepEqual(
        { kind: expiry.kind, amount: expiry.amount, reason: expiry.reason, expiresAt: expiry.expiresAt },
        { kind: 'expiry', amount: -30, reason: 'Survey', expiresAt: null },
      );
      assert.equal(after.entries.filter((e) => e.kind === 'expiry').length, 1);
      assert.equal(
        after.entries.find((e) => e.reason === 'Survey' && e.kind === 'grant')?.expiresAt,
        later.body.entry.expiresAt,
      );

      // The job again (a retry after a crash): nothing twice.
      for (const entryId of [soon.body.entry.id, later.body.entry.id])
        await t.app.services.credits.expire({ accountId: person.id, entryId });
      const again = await history(person.token);
      assert.equal(again.balance, 50);
      assert.equal(again.entries.length, after.entries.length);
      assert.equal(
        again.entries.reduce((sum, e) => sum + e.amount, 0),
        50,
      );
      assert.equal(await cachedBalance(person.id), 50);
      // Each grant and refund is in the staff audit, found by account, with who and why.
      const audit = await asSupport<Api<'AuditPage'>>(
        'GET',
        `/v1/admin/audit?account=${person.id}&action=credits.refund`,
      );
      assert.equal(audit.body.records.length, 1);
      assert.equal(audit.body.records[0]?.reason, 'Order 7 refunded');
      assert.ok(audit.body.records[0]?.staffId);
    });

    test('a later grant that expires sooner is spent first; an expired grant spent in full leaves the rest alone', async () => {
      const person = await t.signUp();
      assert.equal((await post(person.id, { amount: 40, reason: 'Late', expiresAt: inDays(10) })).status, 201);
      assert.equal((await post(person.id, { amount: 40, reason: 'Early', expiresAt: inDays(3) })).status, 201);
      assert.equal((await post(person.id, { amount: -50, reason: 'Bought a theme' })).status, 201);
      t.clock.advance(3 * DAY + 1000);
      await t.drainJobs();
      // The spend took 40 of "Early" (expires first) and 10 of "Late": nothing left of "Early" to expire.
      assert.equal((await history(person.token)).balance, 30);
      t.clock.advance(7 * DAY);
      await t.drainJobs();
      const done = await history(person.token);
      assert.equal(done.balance, 0);
      assert.deepEqual(
        done.entries.filter((e) => e.kind === 'expiry').map((e) => [e.amount, e.reason]),
        [[-30, 'Late']],
      );
      assert.equal(await cachedBalance(person.id), 0);
    });

    test('expiry is checked: in the future, grants only, the same key with another expiry is refused; support cannot grant or refund', async () => {
      const person = await t.signUp();
      assertProblem(await post(person.id, { amount: 5, expiresAt: inDays(-1) }), 400, 'validation_failed');
      assertProblem(await post(person.id, { amount: 5, expiresAt: inDays(4000) }), 400, 'validation_failed');
      assertProblem(await post(person.id, { amount: 5, expiresAt: 'next week' }), 400, 'validation_failed');
      assertProblem(
        await post(person.id, { amount: 5, kind: 'refund', expiresAt: inDays(1) }),
        400,
        'validation_failed',
      );
      const key = randomUUID();
      assert.equal((await post(person.id, { amount: 5, idempotencyKey: key, expiresAt: inDays(1) })).status, 201);
      const replay = await post(person.id, { amount: 5, idempotencyKey: key, expiresAt: inDays(1) });
      assert.equal(replay.status, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assertProblem(
        await post(person.id, { amount: 5, idempotencyKey: key, expiresAt: inDays(2) }),
        409,
        'credits.idempotency_key_reused',
      );
      for (const body of [
        { amount: 5, reason: 'x', idempotencyKey: randomUUID() },
        { amount: 5, kind: 'refund', reason: 'x', idempotencyKey: randomUUID() },
      ])
        assertProblem(await asSupport('POST', `/v1/admin/accounts/${person.id}/credits`, { body }), 403, 'forbidden');
    });

    test('staff read the ledger page by page with a reason (audited); the pages sum to the balance', async () => {
      const person = await t.signUp();
      for (let i = 0; i < 55; i++)
        assert.equal((await post(person.id, { amount: 2, reason: `Grant ${i}` })).status, 201);
      assert.equal((await post(person.id, { amount: -10, reason: 'Taken back' })).status, 201);
      assertProblem(await asSupport('GET', `/v1/admin/accounts/${person.id}/credits`), 400, 'staff.reason_required');
      assertProblem(
        await asSupport('GET', `/v1/admin/accounts/${randomUUID()}/credits?reason=ticket`),
        404,
        'not_found',
      );
      const entries: Entry[] = [];
      let cursor: string | null = null;
      let balance = -1;
      do {
        const page: {
          status: number;
          text: string;
          body: { balance: number; entries: Entry[]; cursor: string | null };
        } = await asSupport<Api<'Credits'>>(
          'GET',
          `/v1/admin/accounts/${person.id}/credits?reason=ticket+42${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(page.status, 200, page.text);
        balance = page.body.balance;
        entries.push(...page.body.entries);
        cursor = page.body.cursor;
      } while (cursor);
      assert.equal(entries.length, 56);
      assert.equal(entries[0]!.reason, 'Taken back');
      assert.equal(balance, 100);
      assert.equal(
        entries.reduce((sum, e) => sum + e.amount, 0),
        balance,
      );
      const audit = await asSupport<Api<'AuditPage'>>(
        'GET',
        `/v1/admin/audit?account=${person.id}&action=staff.credits_viewed`,
      );
      assert.equal(audit.body.records.length, 2);
      assert.equal(audit.body.records[0]?.reason, 'ticket 42');
    });
  });
}
