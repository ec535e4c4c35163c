import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { deleteAccount } from '../deletion/test-helpers.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { asStaff, createStaffMember, type StaffMember } from '../testing/staff.js';
import { RETRY_WINDOW_MS } from './service.js';
import type { Api } from '../testing/api-types.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A linked service's webhook endpoint on 127.0.0.1 that answers each POST with the next status of `answers` (then 204). */
async function startReceiver(answers: number[] = []) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.statusCode = answers.shift() ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/lanyard`;
  return { url, received, answers, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const database of testDatabases()) {
  describe(`webhooks (${database})`, () => {
    let t: TestApp;
    let staff: string;
    let member: StaffMember;
    /** As the staff member; the retry tests move the clock by days, past the staff session's idle end. */
    let staffCall: TestApp['request'];
    before(async () => {
      t = await createTestApp({ database, env: { LANYARD_WEBHOOKS_ALLOW_LOOPBACK: 'on' } });
      member = await createStaffMember(t, 'admin');
      staff = member.token;
      staffCall = asStaff(t, member);
    });
    after(() => t.close());

    const register = (url: string, token?: string) =>
      (token ? t.request : staffCall)<Api<'WebhookCreated'>>('POST', '/v1/admin/webhooks', {
        ...(token ? { token } : {}),
        body: { url, events: ['account.deleted'] },
      });
    const deliveries = async (id: string) =>
      (await staffCall<Api<'WebhookDeliveryList'>>('GET', `/v1/admin/webhooks/${id}/deliveries`)).body.deliveries;

    test('only staff register and list webhooks; bad URLs and unknown events are refused', async () => {
      const user = await t.signUp();
      assertProblem(await register('https://example.com/hook', user.token), 403, 'forbidden');
      assertProblem(await t.request('GET', '/v1/admin/webhooks'), 401, 'unauthenticated');
      for (const url of ['ftp://example.com/x', 'not a url', 'https://user:pw@example.com/x'])
        assertProblem(await register(url), 400, 'validation_failed');
      const unknown = await t.request<Api<'Problem'>>('POST', '/v1/admin/webhooks', {
        token: staff,
        body: { url: 'https://example.com/x', events: ['account.created'] },
      });
      assertProblem(unknown, 400, 'validation_failed');
      const created = await register('https://example.com/hook');
      assert.equal(created.status, 201, created.text);
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      const listed = await t.request<Api<'WebhookList'>>('GET', '/v1/admin/webhooks', { token: staff });
      const mine = listed.body.webhooks.find((w) => w.id === created.body.id);
      assert.deepEqual(mine, {
        id: created.body.id,
        url: 'https://example.com/hook',
        events: ['account.deleted'],
        createdAt: created.body.createdAt,
        previousSecretUntil: null,
      });
      assert.ok(!listed.text.includes(created.body.secret), 'the secret is shown once');
      assert.equal((await t.request('DELETE', `/v1/admin/webhooks/${created.body.id}`, { token: staff })).status, 204);
      assertProblem(
        await t.request('GET', `/v1/admin/webhooks/${created.body.id}/deliveries`, { token: staff }),
        404,
        'not_found',
      );
    });

    test('a receiver gets account.deleted signed per Standard Webhooks, with the tombstone hash and no personal data', async () => {
      const receiver = await startReceiver();
      const other = await startReceiver();
      try {
        const { body: hook } = await register(receiver.url);
        const { body: otherHook } = await register(other.url);
        const account = await t.signUp({ name: 'Webhook Person' });
        await deleteAccount(t, account, {});
        assert.equal(receiver.received.length, 1);
        assert.equal(other.received.length, 1, 'every registered endpoint gets the event');
        const [message] = receiver.received;
        assert.equal(message!.headers['content-type'], 'application/json');
        const event = new Webhook(hook.secret).verify(message!.body, message!.headers as Record<string, string>) as {
          type: string;
          timestamp: string;
          data: Record<string, string>;
        };
        assert.equal(event.type, 'account.deleted');
        assert.deepEqual(event.data, {
          account: t.app.services.deletion.accountHash(account.id),
          deletedAt: new Date(t.clock.now()).toISOString(),
        });
        for (const personal of [account.id, account.email!, 'Webhook Person'])
          assert.ok(!message!.body.includes(personal));
        // The signature, computed here from the spec: base64 HMAC-SHA256 of "id.timestamp.body" under the decoded secret.
        const key = Buffer.from(hook.secret.slice('whsec_'.length), 'base64');
        const signed = `${message!.headers['webhook-id']}.${message!.headers['webhook-timestamp']}.${message!.body}`;
        assert.equal(
          message!.headers['webhook-signature'],
          `v1,${createHmac('sha256', key).update(signed).digest('base64')}`,
        );
        assert.throws(
          () => new Webhook(otherHook.secret).verify(message!.body, message!.headers as Record<string, string>),
          'each endpoint has its own secret',
        );
        const [delivery] = await deliveries(hook.id);
        assert.ok(delivery);
        assert.equal(delivery.status, 'delivered');
        assert.equal(delivery.attempts, 1);
        assert.equal(delivery.eventId, message!.headers['webhook-id']);
        await staffCall('DELETE', `/v1/admin/webhooks/${hook.id}`);
        await staffCall('DELETE', `/v1/admin/webhooks/${otherHook.id}`);
      } finally {
        await receiver.close();
        await other.close();
      }
    });

    test('an admin redelivers a delivery: it is queued again and sent with the same webhook-id; support cannot; audited', async () => {
      const receiver = await startReceiver();
      try {
        const { body: hook } = await register(receiver.url);
        await deleteAccount(t, await t.signUp(), {});
        const [delivery] = await deliveries(hook.id);
        assert.ok(delivery);
        assert.equal(delivery.status, 'delivered');
        assert.equal(receiver.received.length, 1);

        const support = await createStaffMember(t, 'support');
        const path = `/v1/admin/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`;
        assertProblem(await t.request('POST', path, { token: support.token }), 403, 'forbidden');
        assertProblem(
          await staffCall('POST', `/v1/admin/webhooks/${hook.id}/deliveries/no-such-delivery/redeliver`),
          404,
          'not_found',
        );
        const again = await staffCall<Api<'WebhookDelivery'>>('POST', path);
        assert.equal(again.status, 202, again.text);
        assert.equal(again.body.id, delivery.id);
        assert.equal(again.body.status, 'pending');
        await t.drainJobs();
        assert.equal(receiver.received.length, 2);
        assert.equal(
          receiver.received[1]!.headers['webhook-id'],
          receiver.received[0]!.headers['webhook-id'],
          'the same event id: the receiver can tell it had it',
        );
        const [after] = await deliveries(hook.id);
        assert.ok(after);
        assert.equal(after.status, 'delivered');
        assert.equal(after.attempts, 2);
        const audit = await staffCall<Api<'AuditPage'>>(
          'GET',
          `/v1/admin/audit?action=staff.webhook_redelivered&staff=${member.id}`,
        );
        assert.equal(audit.status, 200, audit.text);
        assert.deepEqual(
          audit.body.records.map((r: { detail: unknown }) => r.detail),
          [{ webhook: hook.id, delivery: delivery.id }],
        );
        await staffCall('DELETE', `/v1/admin/webhooks/${hook.id}`);
      } finally {
        await receiver.close();
      }
    });

    test('a failing receiver gets retries with growing delays, the same webhook-id each time, until it answers 2xx', async () => {
      const receiver = await startReceiver([500, 503, 502, 500]);
      try {
        const { body: hook } = await register(receiver.url);
        await deleteAccount(t, await t.signUp(), {});
        const delays: number[] = [];
        for (let attempt = 1; attempt <= 4; attempt++) {
          const [delivery] = await deliveries(hook.id);
          assert.ok(delivery);
          assert.equal(delivery.status, 'pending');
          assert.equal(delivery.attempts, attempt);
          assert.match(delivery.lastError ?? '', /answered 50\d/);
          assert.ok(delivery.nextAttemptAt && delivery.lastAttemptAt);
          delays.push(Date.parse(delivery.nextAttemptAt) - Date.parse(delivery.lastAttemptAt));
          // Not due yet: nothing is sent before the next try's time.
          await t.drainJobs();
          assert.equal(receiver.received.length, attempt);
          t.clock.set(Date.parse(delivery.nextAttemptAt));
          await t.drainJobs();
        }
        for (let i = 1; i < delays.length; i++)
          assert.ok(delays[i]! > delays[i - 1]!, `delays grow: ${delays.join(', ')}`);
        const [done] = await deliveries(hook.id);
        assert.ok(done);
        assert.equal(done.status, 'delivered');
        assert.equal(done.attempts, 5);
        assert.equal(done.nextAttemptAt, null);
        assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
        await staffCall('DELETE', `/v1/admin/webhooks/${hook.id}`);
      } finally {
        await receiver.close();
      }
    });

    test('a receiver that never answers 2xx is tried for three days, then the delivery shows failed', async () => {
      const receiver = await startReceiver(Array.from({ length: 100 }, () => 500));
      const unreachable = await startReceiver();
      await unreachable.close();
      try {
        const { body: hook } = await register(receiver.url);
        const { body: gone } = await register(unreachable.url);
        const start = t.clock.now();
        await deleteAccount(t, await t.signUp(), {});
        for (let i = 0; i < 100; i++) {
          const pending = (await deliveries(hook.id))
            .concat(await deliveries(gone.id))
            .flatMap((d) => (d.status === 'pending' && d.nextAttemptAt ? [Date.parse(d.nextAttemptAt)] : []));
          if (pending.length === 0) break;
          t.clock.set(Math.min(...pending));
          await t.drainJobs();
        }
        for (const id of [hook.id, gone.id]) {
          const [delivery] = await deliveries(id);
          assert.ok(delivery);
          assert.equal(delivery.status, 'failed');
          assert.equal(delivery.nextAttemptAt, null);
          assert.ok(delivery.attempts > 10, `tried ${delivery.attempts} times`);
          assert.ok(delivery.lastAttemptAt);
          assert.ok(Date.parse(delivery.lastAttemptAt) - start <= RETRY_WINDOW_MS);
          assert.ok(
            Date.parse(delivery.lastAttemptAt) - start > RETRY_WINDOW_MS - 12 * 3600_000,
            'the tries went on for about three days',
          );
        }
        assert.equal(receiver.received.length, (await deliveries(hook.id))[0]?.attempts);
        assert.match((await deliveries(gone.id))[0]?.lastError ?? '', /ECONNREFUSED/);
      } finally {
        await receiver.close();
      }
    });
  });
}
