import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteAccount } from '../deletion/test-helpers.js';
import { assertProblem } from '../testing/problems.js';
import {
  createTestApp,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type TestAccount,
  type TestApp,
} from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const DAY = 24 * 60 * 60 * 1000;
const LINK = /(https?:\/\/\S+\/account\/lock\?token=([A-Za-z0-9_-]+))/;

for (const database of testDatabases()) {
  describe(`"Lock my account" from the link of a notice (${database})`, () => {
    let t: TestApp;
    let ipCounter = 0;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    /** A fresh IP for each test, so that the per-IP limit of one test does not spill into the next. */
    const nextIp = () => `198.51.100.${++ipCounter}`;
    const lockWith = <T = Api<'AccountLocked'>>(token: string, ip: string) =>
      t.request<T>('POST', '/v1/account-lock', { body: { token }, ip });

    /** Someone who knows the password signs in from a client the account has not seen: the owner's notice and the taker's token. */
    const signInAsTaker = async (account: TestAccount) => {
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email ?? account.phone, password: account.password, kind: 'api' },
        headers: { 'user-agent': `TakerBrowser/${Math.random()}` },
      });
      assert.equal(signedIn.status, 201, signedIn.text);
      await t.drainJobs();
      const notice = t.messages.to(account.email ?? account.phone!).at(-1)!;
      assert.match(notice.subject, /New sign-in/);
      const link = LINK.exec(notice.text);
      assert.ok(link, `the notice carries a lock link: ${notice.text}`);
      return { taker: signedIn.body.token, url: link[1]!, token: link[2]! };
    };

    /** An address change as a taker would make it: the notice to the old address and its lock link. */
    const changeAddress = async (account: TestAccount, field: 'email' | 'phone', to: string) => {
      assert.equal(
        (await t.request('POST', `/v1/me/${field}`, { token: account.token, body: { [field]: to } })).status,
        202,
      );
      await t.drainJobs();
      assert.equal(
        (
          await t.request('POST', `/v1/me/${field}/confirm`, {
            token: account.token,
            body: { [field]: to, code: t.messages.lastCode(to) },
          })
        ).status,
        200,
      );
      await t.drainJobs();
      const notice = t.messages.to(field === 'email' ? account.email! : account.phone!).at(-1)!;
      const link = LINK.exec(notice.text);
      assert.ok(link, `the notice carries a lock link: ${notice.text}`);
      return { notice, token: link[2]! };
    };

    const appTokenFor = async (accountId: string) => {
      // An app's access token, as the OpenID provider stores it; here only its row matters.
      await t.app.database.db
        .insertInto('oidc_records')
        .values({
          model: 'AccessToken',
          id: `at-${accountId}`,
          payload: '{}',
          account_id: accountId,
          client_id: 'some-app',
          grant_id: 'g1',
          uid: null,
          user_code: null,
          expires_at: t.clock.now() + 3_600_000,
          consumed_at: null,
        })
        .execute();
    };

    const auditCount = async () =>
      Number(
        (
          await t.app.database.db
            .selectFrom('audit_records')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('action', '=', 'account.locked_by_link')
            .executeTakeFirstOrThrow()
        ).n,
      );

    test('the new sign-in notice carries a link that locks the account without a session: sessions and app tokens end', async () => {
      const owner = await t.signUp();
      const { taker, url, token } = await signInAsTaker(owner);
      assert.ok(url.startsWith(`${t.app.config.baseUrl}/account/lock?token=`), url);
      await appTokenFor(owner.id);
      // The taker signs the owner out: the owner holds no session at all, only the notice.
      assert.equal((await t.request('DELETE', '/v1/sessions/current', { token: owner.token })).status, 204);

      const auditBefore = await auditCount();
      const locked = await lockWith(token, nextIp());
      assert.equal(locked.status, 202, locked.text);
      assert.ok(!Number.isNaN(Date.parse(locked.body.lockedAt)));
      assertProblem(await t.request('GET', '/v1/me', { token: taker }), 401, 'unauthenticated');
      assert.deepEqual(
        await t.app.database.db.selectFrom('oidc_records').select('id').where('account_id', '=', owner.id).execute(),
        [],
        "the apps' tokens ended",
      );
      assertProblem(
        await t.request('POST', '/v1/sessions', { body: { login: owner.email, password: owner.password } }),
        403,
        'account.locked',
      );
      await t.drainJobs();
      assert.ok(
        t.messages.to(owner.email!).some((m) => /account is locked/.test(m.subject)),
        'the owner is told',
      );
      assert.equal(await auditCount(), auditBefore + 1, 'an audit record of the lock');
      const rows = await t.app.database.db
        .selectFrom('security_events')
        .select('type')
        .where('account_id', '=', owner.id)
        .execute();
      assert.ok(
        rows.some((r) => r.type === 'account.locked'),
        rows.map((r) => r.type).join(','),
      );
    });

    test('the email-changed and phone-changed notices carry a lock link too', async () => {
      const owner = await t.signUp();
      const { notice, token } = await changeAddress(owner, 'email', uniqueEmail('taker'));
      assert.match(notice.subject, /email address was changed/);
      assert.match(notice.text, /undo-change\?token=/, 'the undo link stays');
      assert.equal((await lockWith(token, nextIp())).status, 202);
      assertProblem(await t.request('GET', '/v1/me', { token: owner.token }), 401, 'unauthenticated');

      const byPhone = await t.signUp({ phone: uniquePhone() });
      const sms = await changeAddress(byPhone, 'phone', uniquePhone());
      assert.equal((await lockWith(sms.token, nextIp())).status, 202);
      assertProblem(await t.request('GET', '/v1/me', { token: byPhone.token }), 401, 'unauthenticated');
    });

    test('the notice is in the account’s language', async () => {
      const email = uniqueEmail('es');
      await t.request('POST', '/v1/signup', { body: { email, locale: 'es' } });
      await t.drainJobs();
      const done = await t.request('POST', '/v1/signup/complete', {
        body: { email, code: t.messages.lastCode(email), password: 'una frase de paso larga', locale: 'es' },
      });
      assert.equal(done.status, 201, done.text);
      await t.request('POST', '/v1/sessions', {
        body: { login: email, password: 'una frase de paso larga' },
        headers: { 'user-agent': 'OtroNavegador/1' },
      });
      await t.drainJobs();
      const notice = t.messages.to(email).at(-1)!;
      assert.match(notice.subject, /Nuevo inicio de sesión/);
      assert.match(notice.text, /bloquéala/);
      assert.match(notice.text, LINK);
    });

    test('opening the link (a GET, as a mail scanner does) changes nothing', async () => {
      const owner = await t.signUp();
      const { taker, url, token } = await signInAsTaker(owner);
      for (let i = 0; i < 3; i++) {
        const page = await t.request('GET', new URL(url).pathname + new URL(url).search, {
          headers: { accept: 'text/html' },
        });
        assert.equal(page.status, 200);
        assert.match(String(page.headers['content-type']), /text\/html/);
      }
      assert.equal((await t.request('GET', '/v1/me', { token: taker })).status, 200, 'the sessions stay');
      assert.equal((await t.request('GET', '/v1/me', { token: owner.token })).status, 200);
      assert.equal((await lockWith(token, nextIp())).status, 202, 'the link still works afterwards');
    });

    test('a link works once, even when 20 uses race; the losers get the same answer as a wrong token', async () => {
      const owner = await t.signUp();
      const { token } = await signInAsTaker(owner);
      const ip = nextIp();
      const answers = await Promise.all(Array.from({ length: 20 }, () => lockWith(token, ip)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [202, ...Array(19).fill(400)]);
      for (const answer of answers.filter((a) => a.status !== 202))
        assertProblem(answer, 400, 'account_lock.link_invalid');
      await t.drainJobs();
      assert.equal(
        t.messages.to(owner.email!).filter((m) => /account is locked/.test(m.subject)).length,
        1,
        'one lock, one notice',
      );
      const used = await lockWith<Api<'Problem'>>(token, nextIp());
      assertProblem(used, 400, 'account_lock.link_invalid');
      const unknown = await lockWith<Api<'Problem'>>('0'.repeat(64), nextIp());
      assertProblem(unknown, 400, 'account_lock.link_invalid');
      assert.equal(used.body.title, unknown.body.title, 'a used link reads like an unknown one');
      assert.equal(used.body.detail, unknown.body.detail);
    });

    test('a link lasts 7 days; a wrong or malformed token is refused and locks nothing', async () => {
      const owner = await t.signUp();
      const { taker, token } = await signInAsTaker(owner);
      const altered = token.slice(0, -2) + (token.endsWith('aa') ? 'bb' : 'aa');
      assertProblem(await lockWith(altered, nextIp()), 400, 'account_lock.link_invalid');
      assertProblem(await lockWith('short', nextIp()), 400, 'validation_failed');
      assertProblem(
        await t.request('POST', '/v1/account-lock', { body: { token: `${token}!` } }),
        400,
        'validation_failed',
      );
      assertProblem(await t.request('POST', '/v1/account-lock', { body: {} }), 400, 'validation_failed');
      assert.equal((await t.request('GET', '/v1/me', { token: taker })).status, 200, 'nothing was locked');

      const second = await signInAsTaker(owner);
      t.clock.advance(7 * DAY - 60_000);
      assert.equal((await lockWith(second.token, nextIp())).status, 202, 'still valid just before its 7 days');
      t.clock.advance(2 * 60_000);
      assertProblem(await lockWith(token, nextIp()), 400, 'account_lock.link_invalid');
    });

    test('uses from one IP are rate-limited', async () => {
      const ip = nextIp();
      let last = await lockWith('f'.repeat(64), ip);
      for (let i = 1; i < 40 && last.status !== 429; i++) last = await lockWith('f'.repeat(64), ip);
      assertProblem(last, 429, 'rate_limited');
      assert.ok(Number(last.headers['retry-after']) > 0);
      assertProblem(
        await lockWith('f'.repeat(64), nextIp()),
        400,
        'account_lock.link_invalid',
        'another IP is not held back',
      );
    });

    test('the links are erased with the account', async () => {
      const owner = await t.signUp();
      await signInAsTaker(owner);
      const count = async () =>
        Number(
          (
            await t.app.database.db
              .selectFrom('account_lock_links')
              .select((eb) => eb.fn.countAll().as('n'))
              .where('account_id', '=', owner.id)
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.equal(await count(), 1);
      await deleteAccount(t, owner);
      assert.equal(await count(), 0);
    });
  });
}
