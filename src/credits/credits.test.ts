import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { readAudit } from '../audit/audit-log.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from '../client-apps/test-relying-party.js';
import { testDatabases, type TestAccount } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const SHOP_REDIRECT = 'https://shop.example.com/callback';

for (const database of testDatabases()) {
  describe(`credits (${database})`, () => {
    let s: ListeningApp;
    let shop: Api<'AppCreated'>;
    let shopRp: client.Configuration;

    before(async () => {
      s = await startListeningApp(database);
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Shop',
          type: 'web',
          redirectUris: [SHOP_REDIRECT],
          scopes: ['openid', 'credits:spend', 'devices:read'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      shop = registered.body;
      shopRp = await relyingParty(s.baseUrl, shop.clientId, shop.clientSecret);
    });
    after(async () => s?.close());

    /** The shop's access token for Lanyard's API, with the scopes the person allowed on the consent page. */
    async function appToken(account: TestAccount, scope: string): Promise<string> {
      const resource = `${s.baseUrl}/v1`;
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(shopRp, {
        redirect_uri: SHOP_REDIRECT,
        scope: `openid ${scope}`,
        resource,
      });
      const consent = await browser.go('GET', url.href);
      const signedIn = await browser.submit(consent.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const back = await browser.submit(signedIn.text, /\/consent$/, { decision: 'allow' });
      const tokens = await client.authorizationCodeGrant(
        shopRp,
        new URL(back.left!),
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource },
      );
      return tokens.access_token;
    }

    const grant = <T = Api<'PostedCredit'>>(accountId: string, amount: number, extra: Record<string, unknown> = {}) =>
      s.t.request<T>('POST', `/v1/admin/accounts/${accountId}/credits`, {
        token: s.admin,
        body: { amount, reason: 'Welcome gift', idempotencyKey: randomUUID(), ...extra },
      });

    test('a new account has 0 credits; an admin grant shows in the history, is audited and shows in the deletion preview', async () => {
      const account = await s.t.signUp();
      const empty = await s.t.request<Api<'Credits'>>('GET', '/v1/me/credits', { token: account.token });
      assert.equal(empty.status, 200, empty.text);
      assert.deepEqual(empty.body, { balance: 0, currency: 'credits', entries: [], cursor: null });

      const granted = await grant(account.id, 120);
      assert.equal(granted.status, 201, granted.text);
      assert.equal(granted.body.balance, 120);
      assert.equal(granted.body.entry.kind, 'grant');
      const refund = await grant(account.id, 30, { kind: 'refund', reason: 'Order 77 cancelled' });
      assert.equal(refund.status, 201, refund.text);
      const taken = await grant(account.id, -50, { reason: 'Granted twice by mistake' });
      assert.equal(taken.status, 201, taken.text);
      assert.equal(taken.body.entry.kind, 'spend');
      const overdraw = await grant<Api<'Problem'>>(account.id, -1000, { reason: 'Too much' });
      assert.equal(overdraw.status, 409, overdraw.text);
      assert.equal(overdraw.body.code, 'credits.insufficient');

      const wallet = await s.t.request<Api<'Credits'>>('GET', '/v1/me/credits', { token: account.token });
      assert.equal(wallet.body.balance, 100);
      assert.deepEqual(
        wallet.body.entries.map((e: { kind: string; amount: number; reason: string }) => [e.kind, e.amount, e.reason]),
        [
          ['spend', -50, 'Granted twice by mistake'],
          ['refund', 30, 'Order 77 cancelled'],
          ['grant', 120, 'Welcome gift'],
        ],
      );
      assert.equal(
        (await s.t.request<Api<'DeletionSummary'>>('GET', '/v1/me/deletion', { token: account.token })).body
          .creditBalance,
        100,
      );

      // Audited under the account's keyed hash, one record per change, naming its entry.
      const record = await s.t.app.database.db
        .selectFrom('audit_records')
        .select('subject')
        .where('detail', 'like', `%${granted.body.entry.id}%`)
        .executeTakeFirstOrThrow();
      const audit = await readAudit(s.t.app.database.db, record.subject);
      assert.ok(!record.subject.includes(account.id));
      assert.deepEqual(
        audit.map((a) => [a.action, a.detail.amount, a.detail.reason]),
        [
          ['credits.grant', 120, 'Welcome gift'],
          ['credits.refund', 30, 'Order 77 cancelled'],
          ['credits.spend', -50, 'Granted twice by mistake'],
        ],
      );
    });

    test('staff input is checked: an unknown account is 404, an amount of 0 or a negative refund is 400, support is refused', async () => {
      assert.equal((await grant('01938d2e-7c1a-7000-8000-00000000beef', 5)).status, 404);
      const account = await s.t.signUp();
      const zero = await grant<Api<'Problem'>>(account.id, 0);
      assert.equal(zero.status, 400);
      assert.equal(zero.body.code, 'validation_failed');
      assert.equal((await grant(account.id, -5, { kind: 'refund' })).status, 400);
      const missing = await s.t.request('POST', `/v1/admin/accounts/${account.id}/credits`, {
        token: s.admin,
        body: { amount: 5, reason: 'x' },
      });
      assert.equal(missing.status, 400);
      const person = await s.t.request('POST', `/v1/admin/accounts/${account.id}/credits`, {
        token: account.token,
        body: { amount: 5, reason: 'mine', idempotencyKey: randomUUID() },
      });
      assert.equal(person.status, 403);
    });

    test('an app with credits:spend spends, a retry spends once; without the scope it cannot', async () => {
      const account = await s.t.signUp();
      await grant(account.id, 10);
      const token = await appToken(account, 'credits:spend');
      const bearer = { authorization: `Bearer ${token}` };
      const spent = await s.t.request<Api<'PostedCredit'>>('POST', '/v1/credits/spend', {
        headers: bearer,
        body: { amount: 4, reason: 'Sticker pack', idempotencyKey: 'order-0001' },
      });
      assert.equal(spent.status, 201, spent.text);
      assert.equal(spent.body.balance, 6);
      assert.deepEqual(
        [spent.body.entry.kind, spent.body.entry.amount, spent.body.entry.reason],
        ['spend', -4, 'Sticker pack'],
      );

      // A retry with the same key spends once and answers as the first time.
      const retried = await s.t.request<Api<'PostedCredit'>>('POST', '/v1/credits/spend', {
        headers: bearer,
        body: { amount: 4, reason: 'Sticker pack', idempotencyKey: 'order-0001' },
      });
      assert.equal(retried.status, 201, retried.text);
      assert.equal(retried.body.entry.id, spent.body.entry.id);
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      const reused = await s.t.request<Api<'Problem'>>('POST', '/v1/credits/spend', {
        headers: bearer,
        body: { amount: 5, reason: 'Another thing', idempotencyKey: 'order-0001' },
      });
      assert.equal(reused.status, 409);
      assert.equal(reused.body.code, 'credits.idempotency_key_reused');

      const tooMuch = await s.t.request<Api<'Problem'>>('POST', '/v1/credits/spend', {
        headers: bearer,
        body: { amount: 7, reason: 'Big pack', idempotencyKey: 'order-0002' },
      });
      assert.equal(tooMuch.status, 409, tooMuch.text);
      assert.equal(tooMuch.body.code, 'credits.insufficient');

      const readOnly = await appToken(account, 'devices:read');
      const refused = await s.t.request<Api<'Problem'>>('POST', '/v1/credits/spend', {
        headers: { authorization: `Bearer ${readOnly}` },
        body: { amount: 1, reason: 'x', idempotencyKey: 'order-0003' },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'insufficient_scope');
      assert.match(String(refused.headers['www-authenticate']), /scope="credits:spend"/);
      // The app's token reads nothing else of the wallet.
      assert.equal((await s.t.request('GET', '/v1/me/credits', { headers: bearer })).status, 403);

      const wallet = await s.t.request<Api<'Credits'>>('GET', '/v1/me/credits', { token: account.token });
      assert.equal(wallet.body.balance, 6);
      assert.equal(wallet.body.entries.length, 2);
    });

    test('50 concurrent spends never overdraw, and 10 concurrent retries of one key spend once; the ledger sums to the balance', async () => {
      const account = await s.t.signUp();
      await grant(account.id, 30);
      const token = await appToken(account, 'credits:spend');
      const bearer = { authorization: `Bearer ${token}` };
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          // Only the refusals' bodies are read.
          s.t.request<Api<'Problem'>>('POST', '/v1/credits/spend', {
            headers: bearer,
            body: { amount: 1, reason: 'Race', idempotencyKey: `race-${i}-${randomUUID()}` },
          }),
        ),
      );
      assert.deepEqual(
        answers.filter((a) => a.status !== 201 && a.status !== 409).map((a) => a.text),
        [],
      );
      assert.equal(answers.filter((a) => a.status === 201).length, 30);
      assert.ok(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'credits.insufficient'));

      await grant(account.id, 5);
      const key = `retry-${randomUUID()}`;
      const retries = await Promise.all(
        Array.from({ length: 10 }, () =>
          s.t.request<Api<'PostedCredit'>>('POST', '/v1/credits/spend', {
            headers: bearer,
            body: { amount: 3, reason: 'Retried', idempotencyKey: key },
          }),
        ),
      );
      assert.deepEqual(
        retries.map((r) => r.status),
        Array(10).fill(201),
        retries.map((r) => r.text).join('\n'),
      );
      assert.equal(new Set(retries.map((r) => r.body.entry.id)).size, 1);

      // Every page of the history, summed, is the balance.
      const entries: Array<{ amount: number }> = [];
      let cursor: string | null = null;
      let balance = -1;
      do {
        const page: { body: { balance: number; entries: Array<{ amount: number }>; cursor: string | null } } =
          await s.t.request('GET', `/v1/me/credits${cursor ? `?cursor=${cursor}` : ''}`, { token: account.token });
        balance = page.body.balance;
        entries.push(...page.body.entries);
        cursor = page.body.cursor;
      } while (cursor);
      assert.equal(entries.length, 1 + 30 + 1 + 1);
      assert.equal(balance, 2);
      assert.equal(
        entries.reduce((sum, e) => sum + e.amount, 0),
        balance,
      );
      const cached = await s.t.app.database.db
        .selectFrom('credit_balances')
        .select('balance')
        .where('account_id', '=', account.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(cached.balance), balance);
      assert.equal(
        (await s.t.request<Api<'Problem'>>('GET', '/v1/me/credits?cursor=nonsense', { token: account.token })).body
          .code,
        'cursor_invalid',
      );
    });
  });
}
