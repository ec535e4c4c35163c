import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
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

for (const database of testDatabases()) {
  describe(`undoing an email or phone change from the old address (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    /** Changes an address through the API, as a taker of the account would, and returns the old address's link. */
    const change = async (account: TestAccount, field: 'email' | 'phone', to: string) => {
      assert.equal(
        (await t.request('POST', `/v1/me/${field}`, { token: account.token, body: { [field]: to } })).status,
        202,
      );
      await t.drainJobs();
      const confirmed = await t.request('POST', `/v1/me/${field}/confirm`, {
        token: account.token,
        body: { [field]: to, code: t.messages.lastCode(to) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      await t.drainJobs();
      const notice = t.messages.to(field === 'email' ? account.email! : account.phone!).at(-1)!;
      const link = /(https?:\/\/\S+\/account\/undo-change\?token=([A-Za-z0-9_-]+))/.exec(notice.text);
      assert.ok(link, `the notice carries an undo link: ${notice.text}`);
      return { notice, url: link[1]!, token: link[2]! };
    };
    const undo = (token: string) =>
      t.request<Api<'AddressChangeUndone'>>('POST', '/v1/address-changes/undo', { body: { token } });

    test('the old email gets a link that puts it back and signs out every session, the taker’s too', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const takerSession = (
        await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: owner.email, password: owner.password },
        })
      ).body.token;
      const takerEmail = uniqueEmail('taker');
      const { notice, url } = await change({ ...owner, token: takerSession }, 'email', takerEmail);
      assert.match(notice.subject, /email address was changed/);
      assert.ok(notice.text.includes(takerEmail) && notice.text.includes('7 days'), notice.text);
      assert.ok(url.startsWith(`${t.app.config.baseUrl}/account/undo-change?token=`), url);
      assert.ok(
        !url.includes(encodeURIComponent(owner.email!)) && !url.includes(owner.email!),
        'the link does not show the addresses',
      );

      const undone = await undo(new URL(url).searchParams.get('token')!);
      assert.equal(undone.status, 200, undone.text);
      assert.deepEqual(undone.body, { status: 'undone', field: 'email' });
      for (const token of [owner.token, takerSession])
        assertProblem(await t.request('GET', '/v1/me', { token }), 401, 'unauthenticated');
      assert.equal((await t.request('GET', '/v1/device', { token: device.token })).status, 200, 'devices stay linked');
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: takerEmail, password: owner.password } })).status,
        401,
      );
      const back = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: owner.email, password: owner.password },
      });
      assert.equal(back.status, 201);
      assert.equal(back.body.account.email, owner.email);
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: back.body.token }))
        .body.events;
      assert.equal(events[0]!.type === 'sign_in' ? events[1]!.type : events[0]!.type, 'address_change.undone');
    });

    test('a link works once, and not after a later change overtook it', async () => {
      const owner = await t.signUp();
      const first = await change(owner, 'email', uniqueEmail('first'));
      assert.equal((await undo(first.token)).status, 200);
      assertProblem(await undo(first.token), 409, 'conflict');

      const again = await t.signUp();
      const stale = await change(again, 'email', uniqueEmail('second'));
      const thirdEmail = uniqueEmail('third');
      assert.equal(
        (await t.request('POST', '/v1/me/email', { token: again.token, body: { email: thirdEmail } })).status,
        202,
      );
      await t.drainJobs();
      assert.equal(
        (
          await t.request('POST', '/v1/me/email/confirm', {
            token: again.token,
            body: { email: thirdEmail, code: t.messages.lastCode(thirdEmail) },
          })
        ).status,
        200,
      );
      assertProblem(await undo(stale.token), 409, 'conflict');
      assert.equal(
        (await t.request<Api<'Account'>>('GET', '/v1/me', { token: again.token })).body.email,
        thirdEmail,
        'nothing changed',
      );
    });

    test('the old phone gets the link by SMS; it lasts 7 days, and an altered token is refused', async () => {
      const owner = await t.signUp({ phone: uniquePhone() });
      const { token } = await change(owner, 'phone', uniquePhone());
      const altered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
      assertProblem(await undo(altered), 400, 'undo_link_invalid');
      assertProblem(await undo('A'.repeat(40)), 400, 'undo_link_invalid');
      t.clock.advance(7 * DAY + 1);
      assertProblem(await undo(token), 400, 'undo_link_invalid');
    });

    test('within its 7 days the phone link puts the old number back', async () => {
      const owner = await t.signUp({ phone: uniquePhone() });
      const { token } = await change(owner, 'phone', uniquePhone());
      t.clock.advance(7 * DAY - 60_000);
      const undone = await undo(token);
      assert.equal(undone.status, 200, undone.text);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: owner.phone, password: owner.password } })).status,
        201,
      );
    });

    test('the notice is in the account’s language', async () => {
      const email = uniqueEmail('es');
      await t.request('POST', '/v1/signup', { body: { email, locale: 'es' } });
      await t.drainJobs();
      const done = await t.request<BearerSession>('POST', '/v1/signup/complete', {
        body: { email, code: t.messages.lastCode(email), password: 'una frase de paso larga', locale: 'es' },
      });
      const account = {
        id: done.body.account.id,
        email,
        password: 'una frase de paso larga',
        token: done.body.token,
      };
      const { notice } = await change(account, 'email', uniqueEmail('nuevo'));
      assert.match(notice.subject, /Se ha cambiado/);
      assert.match(notice.text, /cierra todas las sesiones/);
    });
  });
}
