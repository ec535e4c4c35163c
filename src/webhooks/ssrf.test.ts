import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { refusedAddress } from '../http/ssrf.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { createStaffMember } from '../testing/staff.js';
import { requestDeletion } from '../deletion/test-helpers.js';
import type { Api } from '../testing/api-types.js';

// Issue 13, item 5: webhook URLs pass the SSRF guard, when staff register them and again at every
// delivery after DNS, so that a name pointing inside the network (now, or after a rebinding) is refused.

/** A receiver on every interface that counts what it gets. */
async function startReceiver() {
  let received = 0;
  const server = http.createServer((request, response) => {
    received += 1;
    request.resume();
    response.statusCode = 204;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const REFUSED_ALWAYS = [
  'http://10.0.0.5/hook',
  'http://172.16.3.4/hook',
  'http://192.168.1.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://100.64.0.1/hook',
  'http://0.0.0.0/hook',
  'http://[::ffff:10.0.0.1]/hook',
  'http://[::ffff:169.254.169.254]/hook',
];
const LOOPBACK = [
  'http://127.0.0.1:9/hook',
  'http://localhost:9/hook',
  'http://[::1]:9/hook',
  'http://[::ffff:127.0.0.1]:9/hook',
  'http://api.localhost/hook',
];

for (const database of testDatabases()) {
  for (const allowLoopback of [false, true]) {
    describe(`webhook URLs pass the SSRF guard, loopback ${allowLoopback ? 'allowed (development)' : 'refused'} (${database})`, () => {
      let t: TestApp;
      let staff: string;
      let receiver: Awaited<ReturnType<typeof startReceiver>>;
      before(async () => {
        t = await createTestApp({ database, env: allowLoopback ? { LANYARD_WEBHOOKS_ALLOW_LOOPBACK: 'on' } : {} });
        staff = (await createStaffMember(t, 'admin')).token;
        receiver = await startReceiver();
      });
      after(async () => {
        await receiver.close();
        await t.close();
      });
      const register = (url: string) =>
        t.request<Api<'WebhookCreated'>>('POST', '/v1/admin/webhooks', {
          token: staff,
          body: { url, events: ['account.deleted'] },
        });

      test('private, link-local, metadata and reserved addresses are refused at registration, whatever the setting', async () => {
        for (const url of REFUSED_ALWAYS) assertProblem(await register(url), 400, 'validation_failed', url);
        assert.equal((await register('https://hooks.example.com/lanyard')).status, 201);
      });

      test(`this machine (localhost, 127/8, ::1) is ${allowLoopback ? 'accepted' : 'refused'} at registration`, async () => {
        for (const url of LOOPBACK) {
          const answer = await register(url);
          if (allowLoopback) assert.equal(answer.status, 201, `${url}: ${answer.text}`);
          else assertProblem(answer, 400, 'validation_failed', url);
        }
      });

      test(`a name that resolves to this machine is ${allowLoopback ? 'delivered to' : 'refused after DNS at delivery, and nothing reaches it'}`, async () => {
        const name = os.hostname();
        const addresses = await dns.lookup(name, { all: true });
        assert.ok(
          addresses.every((a) => refusedAddress(a.address, { allowLoopback: false })),
          `${name} must resolve inside this machine for this test: ${JSON.stringify(addresses)}`,
        );
        const created = await register(`http://${name}:${receiver.port}/hook`);
        assert.equal(created.status, 201, 'a name is not resolved at registration: it is checked when called');
        const before = receiver.received();

        const { account, id, code } = await (async () => {
          const owner = await t.signUp();
          return { account: owner, ...(await requestDeletion(t, { ...owner, email: owner.email! })) };
        })();
        const confirmed = await t.request('POST', `/v1/me/deletion/${id}/confirm`, {
          token: account.token,
          body: { code },
        });
        assert.equal(confirmed.status, 200, confirmed.text);
        await t.drainJobs();
        const [delivery] = (
          await t.request<Api<'WebhookDeliveryList'>>('GET', `/v1/admin/webhooks/${created.body.id}/deliveries`, {
            token: staff,
          })
        ).body.deliveries;
        assert.ok(delivery);
        if (allowLoopback) {
          assert.equal(delivery.status, 'delivered', JSON.stringify(delivery));
          assert.equal(receiver.received(), before + 1);
        } else {
          assert.equal(
            delivery.status,
            'pending',
            'refused tries are retried, in case the name points elsewhere later',
          );
          assert.match(delivery.lastError ?? '', /refused.*(private|loopback)/);
          assert.equal(receiver.received(), before, 'nothing reached the address inside');
        }
      });
    });
  }
}
