import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { writeAudit } from '../audit/audit-log.js';
import { deleteAccount } from '../deletion/test-helpers.js';
import { assertProblem } from '../testing/problems.js';
import { asStaff, createStaffMember, type StaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const HOUR = 60 * 60 * 1000;

/** A linked service's webhook endpoint on 127.0.0.1 that keeps what it receives. */
async function startReceiver() {
  const received: Array<{ headers: Record<string, string>; body: string }> = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers as Record<string, string>, body });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Whether a receiver holding `secret` accepts the delivery (Standard Webhooks' own verification). */
function verifies(secret: string, delivery: { headers: Record<string, string>; body: string }): boolean {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers);
    return true;
  } catch {
    return false;
  }
}

for (const database of testDatabases()) {
  describe(`staff console tools: app logos, webhook secret rotation, the full audit CSV (${database})`, () => {
    let t: TestApp;
    let admin: StaffMember;
    let asAdmin: TestApp['request'];
    let asSupport: TestApp['request'];

    before(async () => {
      t = await createTestApp({ database, env: { LANYARD_WEBHOOKS_ALLOW_LOOPBACK: 'on' } });
      admin = await createStaffMember(t, 'admin');
      asAdmin = asStaff(t, admin);
      asSupport = asStaff(t, await createStaffMember(t, 'support'));
    });
    after(async () => t.close());

    test("an app's logo is an https URL, shown in the list; anything else is refused; null removes it", async () => {
      const created = await asAdmin<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        body: { name: 'Gallery', type: 'spa', redirectUris: ['https://gallery.example.com/cb'], scopes: ['openid'] },
      });
      assert.equal(created.status, 201, created.text);
      const path = `/v1/admin/apps/${created.body.clientId}`;
      for (const logoUri of [
        'http://gallery.example.com/logo.png',
        'http://localhost/logo.png',
        'javascript:alert(1)',
        'data:image/png;base64,AAAA',
        'https://user:pw@gallery.example.com/logo.png',
        'logo.png',
        `https://gallery.example.com/${'a'.repeat(2100)}.png`,
      ])
        assertProblem(await asAdmin('PATCH', path, { body: { logoUri } }), 400, 'validation_failed', logoUri);
      assertProblem(
        await asSupport('PATCH', path, { body: { logoUri: 'https://gallery.example.com/logo.png' } }),
        403,
        'forbidden',
      );
      const patched = await asAdmin<Api<'App'>>('PATCH', path, {
        body: { logoUri: 'https://cdn.example.com/gallery.png' },
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.logoUri, 'https://cdn.example.com/gallery.png');
      const listed = (await asAdmin<Api<'AppList'>>('GET', '/v1/admin/apps')).body.apps.find(
        (app) => app.clientId === created.body.clientId,
      );
      assert.ok(listed);
      assert.equal(listed?.logoUri, 'https://cdn.example.com/gallery.png');
      const removed = await asAdmin<Api<'App'>>('PATCH', path, { body: { logoUri: null } });
      assert.equal(removed.status, 200, removed.text);
      assert.equal(removed.body.logoUri, null);
    });

    test('rotating a webhook secret shows the new one once; deliveries carry both signatures for 24 hours, then only the new', async () => {
      const receiver = await startReceiver();
      try {
        const hook = (
          await asAdmin<Api<'WebhookCreated'>>('POST', '/v1/admin/webhooks', {
            body: { url: receiver.url, events: ['account.deleted'] },
          })
        ).body as { id: string; secret: string };
        const person = await t.signUp();
        await deleteAccount(t, person, {});
        assert.equal(receiver.received.length, 1);
        const first = receiver.received[0]!;
        assert.ok(verifies(hook.secret, first));
        const deliveryId = (
          await asAdmin<Api<'WebhookDeliveryList'>>('GET', `/v1/admin/webhooks/${hook.id}/deliveries`)
        ).body.deliveries[0]?.id;

        assertProblem(await asSupport('POST', `/v1/admin/webhooks/${hook.id}/secret`), 403, 'forbidden');
        assertProblem(
          await asAdmin('POST', '/v1/admin/webhooks/0190d4f0-0000-7000-8000-000000000000/secret'),
          404,
          'not_found',
        );
        const rotated = await asAdmin<Api<'WebhookSecretRotated'>>('POST', `/v1/admin/webhooks/${hook.id}/secret`);
        assert.equal(rotated.status, 200, rotated.text);
        assert.match(rotated.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
        assert.notEqual(rotated.body.secret, hook.secret);
        assert.equal(rotated.body.previousSecretUntil, new Date(t.clock.now() + 24 * HOUR).toISOString());
        const listed = await asAdmin<Api<'WebhookList'>>('GET', '/v1/admin/webhooks');
        assert.ok(!listed.text.includes(rotated.body.secret), 'the new secret is shown once');
        assert.equal(
          listed.body.webhooks.find((w) => w.id === hook.id)?.previousSecretUntil,
          rotated.body.previousSecretUntil,
        );
        const audit = await asAdmin<Api<'AuditPage'>>('GET', '/v1/admin/audit?action=staff.webhook_secret_rotated');
        assert.equal(audit.body.records[0]?.staffId, admin.id);
        assert.equal(audit.body.records[0]?.detail.webhook, hook.id);
        assert.ok(!audit.text.includes(rotated.body.secret) && !audit.text.includes(hook.secret));

        // Within the overlap: two signatures; a receiver with either secret accepts, one with neither does not.
        assert.equal(
          (await asAdmin('POST', `/v1/admin/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`)).status,
          202,
        );
        await t.drainJobs();
        const during = receiver.received.at(-1)!;
        assert.equal(receiver.received.length, 2);
        assert.equal(during.headers['webhook-signature']!.split(' ').length, 2);
        assert.ok(verifies(hook.secret, during), 'the old secret still verifies');
        assert.ok(verifies(rotated.body.secret, during), 'the new secret verifies');
        assert.ok(!verifies(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, during));

        // After it: the new secret only.
        t.clock.advance(24 * HOUR + 1000);
        assert.equal(
          (await asAdmin('POST', `/v1/admin/webhooks/${hook.id}/deliveries/${deliveryId}/redeliver`)).status,
          202,
        );
        await t.drainJobs();
        const later = receiver.received.at(-1)!;
        assert.equal(receiver.received.length, 3);
        assert.equal(later.headers['webhook-signature']!.split(' ').length, 1);
        assert.ok(verifies(rotated.body.secret, later));
        assert.ok(!verifies(hook.secret, later), 'the old secret no longer verifies');
        assert.equal(
          (await asAdmin<Api<'WebhookList'>>('GET', '/v1/admin/webhooks')).body.webhooks.find((w) => w.id === hook.id)
            ?.previousSecretUntil,
          null,
        );
      } finally {
        await receiver.close();
      }
    });

    test('the audit CSV holds every matching record, far beyond one page, in order, none twice', async () => {
      const person = await t.signUp();
      // A few records through the API, then many more, as a long-lived log would have them (some at
      // the same millisecond, so that paging must break ties by id).
      for (let i = 0; i < 3; i++)
        assert.equal((await asSupport('GET', `/v1/admin/accounts/${person.id}/credits?reason=check+${i}`)).status, 200);
      const at = t.clock.now();
      await t.app.database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 447; i++)
          await writeAudit(trx, {
            at: at - Math.floor(i / 7),
            action: 'staff.credits_viewed',
            subject: 'bulk',
            detail: { n: i },
            actorId: admin.id,
            accountId: person.id,
            reason: `bulk ${i}`,
          });
      });
      const page = await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${person.id}`);
      assert.equal(page.body.records.length, 50);
      const csv = await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${person.id}&format=csv&limit=200`);
      assert.equal(csv.status, 200, csv.text);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      assert.match(String(csv.headers['content-disposition']), /attachment/);
      const lines = csv.text.trim().split('\r\n');
      assert.equal(lines[0], 'id,at,action,staffId,staffEmail,accountId,reason,detail');
      const ids = lines.slice(1).map((line) => line.slice(1, 37));
      assert.equal(ids.length, 450, 'every record, not the first 200');
      assert.equal(new Set(ids).size, 450, 'none twice');
      // Newest first, as the log pages: the same order as walking the JSON pages.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const next: { body: { records: Array<{ id: string }>; cursor: string | null } } = await asSupport<
          Api<'AuditPage'>
        >('GET', `/v1/admin/audit?account=${person.id}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
        walked.push(...next.body.records.map((r) => r.id));
        cursor = next.body.cursor;
      } while (cursor);
      assert.deepEqual(ids, walked);
      assert.ok(lines.at(-1)!.includes('"bulk 441"'), 'the oldest millisecond last, its records by id, newest first');
      // The filters hold across pages; a bad cursor is still a problem, before any CSV.
      const filtered = await asSupport(
        'GET',
        `/v1/admin/audit?account=${person.id}&action=staff.credits_viewed&since=${encodeURIComponent(new Date(at - 10).toISOString())}&format=csv`,
      );
      assert.equal(filtered.text.trim().split('\r\n').length - 1, 3 + 7 * 11);
      assertProblem(await asSupport('GET', '/v1/admin/audit?format=csv&cursor=nope'), 400, 'cursor_invalid');
    });
  });
}
