import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteAccount } from '../deletion/test-helpers.js';
import { activation, assertProblem, deviceIds, linkDevice, uniqueSerial } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import type { Api } from '../testing/api-types.js';
import { asStaff, createStaffMember, type StaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp } from '../testing/test-app.js';

const WAIT_SECONDS = 3 * 24 * 3600;

let ipCounter = 0;
/** A fresh IP per request, so that tests do not spend each other's per-IP limit. */
const freshIp = () => {
  ipCounter += 1;
  return `10.77.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
};

for (const database of testDatabases()) {
  describe(`unlock requests (${database})`, () => {
    let t: TestApp;
    let member: StaffMember;
    let staffCall: TestApp['request'];
    before(async () => {
      t = await createTestApp({ database, env: { ...QUICK_CAPTCHA_ENV, LANYARD_UNLOCK_WAIT_S: String(WAIT_SECONDS) } });
      member = await createStaffMember(t, 'support');
      staffCall = asStaff(t, member);
    });
    after(async () => t.close());

    async function submit(
      serial: string,
      fields: { email?: string; proof?: Record<string, unknown>; ip?: string } = {},
    ) {
      const ip = fields.ip ?? freshIp();
      const body = {
        serial,
        contact: { email: fields.email ?? uniqueEmail('buyer') },
        proof: fields.proof ?? { kind: 'receipt', text: 'Bought from Ana on 2026-10-02 for 120 EUR' },
        captcha: await solvedCaptcha(t, ip),
      };
      const answer = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', { body, ip });
      await t.drainJobs();
      return { answer, email: body.contact.email };
    }

    const status = (id: string, token: string) =>
      t.request<Api<'UnlockRequestStatus'>>('GET', `/v1/unlock-requests/${id}?token=${encodeURIComponent(token)}`);
    const staffList = async (query = '') =>
      (await staffCall<Api<'UnlockRequestList'>>('GET', `/v1/admin/unlock-requests${query}`)).body.unlockRequests;
    const staffView = async (id: string) => (await staffList()).find((r) => r.id === id)!;
    const subjects = (address: string) => t.messages.to(address).map((m) => m.subject);
    /** The audit trail of each request, by its (hashed) subject. */
    const auditTrails = async () => {
      const rows = await t.app.database.db
        .selectFrom('audit_records')
        .select(['subject', 'action'])
        .where('action', 'like', 'unlock_request.%')
        .orderBy('at')
        .orderBy('id')
        .execute();
      const trails = new Map<string, string[]>();
      for (const row of rows) trails.set(row.subject, [...(trails.get(row.subject) ?? []), row.action]);
      return [...trails.values()];
    };

    test('a buyer asks, staff approve, the owner is told, and after the waiting period the lock is released and the device leaves the account', async () => {
      const owner = await t.signUp({ name: 'Ana' });
      const device = await linkDevice(t, owner);
      const { answer, email } = await submit(device.serial);
      assert.equal(answer.status, 202, answer.text);
      assert.equal(answer.body.status, 'submitted');
      assert.equal(typeof answer.body.id, 'string');
      assert.ok(answer.body.statusToken.length >= 32, 'a long random status token');
      const received = t.messages.to(email).at(-1)!;
      assert.match(received.subject, /received your device unlock request/);
      assert.ok(
        received.text.includes(`/unlock/${answer.body.id}#token=${answer.body.statusToken}`),
        'the message links to the status',
      );

      const { id, statusToken } = answer.body;
      const submitted = await status(id, statusToken);
      assert.equal(submitted.status, 200, submitted.text);
      assert.deepEqual(
        { ...submitted.body, createdAt: undefined },
        { id, status: 'submitted', createdAt: undefined, decidedAt: null, releaseAt: null, releasedAt: null },
      );
      assertProblem(await status(id, 'not-the-token-at-all'), 404, 'not_found');
      assertProblem(await status('no-such-request', statusToken), 404, 'not_found');

      // Staff see the proof, the contact and that the device is locked to an active account.
      const listed = await staffView(id);
      assert.deepEqual(
        {
          serialHint: listed.serialHint,
          contact: listed.contact,
          proof: listed.proof,
          lock: listed.lock,
          status: listed.status,
        },
        {
          serialHint: device.serial.slice(-4),
          contact: { email },
          proof: { kind: 'receipt', text: 'Bought from Ana on 2026-10-02 for 120 EUR', files: [] },
          lock: { locked: true, ownerActive: true, lostMode: false },
          status: 'submitted',
        },
      );
      assertProblem(await t.request('GET', '/v1/admin/unlock-requests', { token: owner.token }), 403, 'forbidden');
      assertProblem(
        await t.request('POST', `/v1/admin/unlock-requests/${id}/approve`, { token: owner.token }),
        403,
        'forbidden',
      );
      assertProblem(await t.request('GET', '/v1/admin/unlock-requests'), 401, 'unauthenticated');

      const approved = await staffCall<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${id}/approve`);
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.status, 'waiting');
      assert.ok(approved.body.releaseAt && approved.body.decidedAt);
      assert.equal(Date.parse(approved.body.releaseAt) - Date.parse(approved.body.decidedAt), WAIT_SECONDS * 1000);
      await t.drainJobs();
      const notice = t.messages.to(owner.email!).find((m) => /asked to unlock a device/.test(m.subject));
      assert.ok(notice, 'the owner is told');
      assert.ok(
        notice.text.includes(id) && notice.text.includes(device.serial.slice(-4)),
        'the notice names the request and the device',
      );
      assert.ok(
        subjects(email).some((s) => /was approved/.test(s)),
        'the requester is told of the approval',
      );
      const ownerEvents = (
        await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: owner.token })
      ).body.events.map((e: { type: string }) => e.type);
      assert.ok(ownerEvents.includes('unlock_request.approved'));

      // Within the waiting period nothing is released.
      t.clock.advance(WAIT_SECONDS * 1000 - 60_000);
      await t.drainJobs();
      assert.equal((await activation(t, device.serial)).body.locked, true);
      assert.equal((await status(id, statusToken)).body.status, 'waiting');

      t.clock.advance(60_000);
      await t.drainJobs();
      const released = (await status(id, statusToken)).body;
      assert.equal(released.status, 'released');
      assert.equal(released.releasedAt, released.releaseAt);
      assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
      assert.deepEqual(await deviceIds(t, owner), [], 'the device left the owner account');
      assertProblem(await t.request('GET', '/v1/device', { token: device.token }), 401, 'unauthenticated');
      assert.ok(
        subjects(email).some((s) => /device is unlocked/.test(s)),
        'the requester is told',
      );
      assert.ok(
        subjects(owner.email!).some((s) => /left your Lanyard account/.test(s)),
        'the owner is told',
      );
      const eventsAfter = (
        await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: owner.token })
      ).body.events.map((e: { type: string }) => e.type);
      assert.ok(eventsAfter.includes('device.released_by_unlock_request'));
      // The buyer can now link it to their own account.
      const buyer = await t.signUp();
      await linkDevice(t, buyer, { serial: device.serial });

      const trails = await auditTrails();
      assert.ok(
        trails.some(
          (trail) => trail.join() === 'unlock_request.submitted,unlock_request.approved,unlock_request.released',
        ),
        `every step is audited: ${JSON.stringify(trails)}`,
      );
      const viewed = await t.app.database.db
        .selectFrom('audit_records')
        .select('detail')
        .where('action', '=', 'unlock_requests.viewed')
        .execute();
      assert.ok(
        viewed.some((row) => row.detail.includes(id)),
        'staff reads are audited',
      );
    });

    test('the owner objects during the waiting period: the request ends and the device stays locked and linked', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const { answer, email } = await submit(device.serial);
      const { id, statusToken } = answer.body;
      assert.equal((await staffCall('POST', `/v1/admin/unlock-requests/${id}/approve`)).status, 200);

      // The owner finds it among the requests against their devices; nobody else sees it.
      const mine = await t.request<Api<'OwnerUnlockRequestList'>>('GET', '/v1/me/unlock-requests', {
        token: owner.token,
      });
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(
        mine.body.requests.map((r: { id: string; status: string; serialHint: string }) => [
          r.id,
          r.status,
          r.serialHint,
        ]),
        [[id, 'waiting', device.serial.slice(-4)]],
      );
      const stranger = await t.signUp();
      assert.deepEqual(
        (await t.request<Api<'OwnerUnlockRequestList'>>('GET', '/v1/me/unlock-requests', { token: stranger.token }))
          .body.requests,
        [],
      );
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${id}/object`, { token: stranger.token }),
        404,
        'not_found',
      );
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${id}/object`, { token: device.token }),
        403,
        'forbidden',
      );
      assertProblem(await t.request('POST', `/v1/unlock-requests/${id}/object`), 401, 'unauthenticated');

      const objected = await t.request<Api<'UnlockRequestStatus'>>('POST', `/v1/unlock-requests/${id}/object`, {
        token: owner.token,
      });
      assert.equal(objected.status, 200, objected.text);
      assert.equal(objected.body.status, 'objected');
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${id}/object`, { token: owner.token }),
        409,
        'unlock_request.closed',
      );
      assert.deepEqual(
        (await t.request<Api<'OwnerUnlockRequestList'>>('GET', '/v1/me/unlock-requests', { token: owner.token })).body
          .requests,
        [],
        'an ended request is no longer listed',
      );
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${id}/approve`),
        409,
        'unlock_request.already_decided',
      );

      t.clock.advance(WAIT_SECONDS * 1000 + 1000);
      await t.drainJobs();
      assert.equal((await status(id, statusToken)).body.status, 'objected');
      assert.equal((await activation(t, device.serial)).body.locked, true);
      assert.deepEqual(await deviceIds(t, owner), [device.id]);
      assert.equal((await t.request('GET', '/v1/device', { token: device.token })).status, 200);
      assert.ok(
        subjects(email).some((s) => /stopped by the owner/.test(s)),
        'the requester is told',
      );
    });

    test('staff reject a request, or stop one that waits; a decided request cannot be decided again', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const first = await submit(device.serial);
      const rejected = await staffCall<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${first.answer.body.id}/reject`,
      );
      assert.equal(rejected.status, 200, rejected.text);
      assert.equal(rejected.body.status, 'rejected');
      await t.drainJobs();
      assert.ok(subjects(first.email).some((s) => /was not approved/.test(s)));
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${first.answer.body.id}/reject`),
        409,
        'unlock_request.closed',
      );
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${first.answer.body.id}/approve`),
        409,
        'unlock_request.already_decided',
      );

      const second = await submit(device.serial);
      assert.equal((await staffCall('POST', `/v1/admin/unlock-requests/${second.answer.body.id}/approve`)).status, 200);
      assert.equal(
        (await staffCall<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${second.answer.body.id}/reject`))
          .body.status,
        'rejected',
      );
      t.clock.advance(WAIT_SECONDS * 1000 + 1000);
      await t.drainJobs();
      assert.equal((await activation(t, device.serial)).body.locked, true, 'a stopped request releases nothing');
      assertProblem(await staffCall('POST', '/v1/admin/unlock-requests/no-such-request/approve'), 404, 'not_found');
      assert.deepEqual(
        (await staffList('?status=rejected')).filter((r) =>
          [first.answer.body.id, second.answer.body.id].includes(r.id),
        ).length,
        2,
      );
    });

    test('a decision may carry a note: the audit log keeps it as the reason, with who decided; the requester is not shown it', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const { answer, email } = await submit(device.serial);
      const id = answer.body.id;
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${id}/approve`, { body: { note: 'x'.repeat(1001) } }),
        400,
        'validation_failed',
      );
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${id}/approve`, { body: { comment: 'unknown field' } }),
        400,
        'validation_failed',
      );
      const approved = await staffCall<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${id}/approve`, {
        body: { note: 'Receipt matches the serial and the shop' },
      });
      assert.equal(approved.status, 200, approved.text);
      const rejected = await staffCall<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${id}/reject`, {
        body: { note: 'The owner called: the phone was stolen' },
      });
      assert.equal(rejected.status, 200, rejected.text);
      await t.drainJobs();
      const admin = asStaff(t, await createStaffMember(t, 'admin'));
      const records = async (action: string) =>
        (await admin<Api<'AuditPage'>>('GET', `/v1/admin/audit?staff=${member.id}&action=${action}`)).body
          .records as Array<{
          reason: string | null;
          staffId: string;
        }>;
      assert.equal((await records('unlock_request.approved'))[0]?.reason, 'Receipt matches the serial and the shop');
      assert.equal((await records('unlock_request.rejected'))[0]?.reason, 'The owner called: the phone was stolen');
      assert.ok(t.messages.to(email).every((m) => !m.text.includes('stolen') && !m.text.includes('Receipt matches')));
    });

    test('of 8 staff approving one request at once, exactly one approves it and one release is scheduled', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const { answer } = await submit(device.serial);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => staffCall('POST', `/v1/admin/unlock-requests/${answer.body.id}/approve`)),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409, 409, 409, 409, 409, 409]);
      const jobs = await t.app.database.db
        .selectFrom('jobs')
        .select('payload')
        .where('kind', '=', 'unlock.release')
        .execute();
      assert.equal(jobs.filter((job) => String(job.payload).includes(answer.body.id)).length, 1);
    });

    test('a request for a serial nobody locked gets the same answer and message; staff cannot approve it', async () => {
      const owner = await t.signUp();
      const locked = await submit((await linkDevice(t, owner)).serial);
      const free = await submit(uniqueSerial());
      assert.equal(free.answer.status, locked.answer.status);
      assert.deepEqual(Object.keys(free.answer.body).sort(), Object.keys(locked.answer.body).sort());
      assert.equal(free.answer.body.status, 'submitted');
      assert.deepEqual(subjects(free.email), subjects(locked.email));
      const view = await staffView(free.answer.body.id);
      assert.deepEqual(view.lock, { locked: false, ownerActive: false, lostMode: false });
      assertProblem(
        await staffCall('POST', `/v1/admin/unlock-requests/${free.answer.body.id}/approve`),
        409,
        'unlock_request.no_lock',
      );
    });

    test("a lock kept past its account's deletion is released by an approved request, with nobody left to tell", async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      // The link's notice goes out first, so that the deletion code is the newest message.
      await t.drainJobs();
      await deleteAccount(t, owner, { acknowledgeLockedDevices: true });
      assert.deepEqual((await activation(t, device.serial)).body, { locked: true, ownerHint: null });
      const { answer } = await submit(device.serial, { proof: { kind: 'invoice' } });
      assert.deepEqual((await staffView(answer.body.id)).lock, { locked: true, ownerActive: false, lostMode: false });
      const sentBefore = t.messages.sent.length;
      assert.equal((await staffCall('POST', `/v1/admin/unlock-requests/${answer.body.id}/approve`)).status, 200);
      await t.drainJobs();
      assert.equal(t.messages.sent.length, sentBefore + 1, 'only the requester is told');
      t.clock.advance(WAIT_SECONDS * 1000);
      await t.drainJobs();
      assert.equal((await status(answer.body.id, answer.body.statusToken)).body.status, 'released');
      assert.deepEqual((await activation(t, device.serial)).body, { locked: false });
    });

    test('bad input is refused with a clear problem and creates nothing; the captcha is required; a serial gets 3 requests a day', async () => {
      const count = async () =>
        Number(
          (
            await t.app.database.db
              .selectFrom('unlock_requests')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      const valid = () => ({ serial: uniqueSerial(), contact: { email: uniqueEmail() }, proof: { kind: 'receipt' } });
      const post = async (body: Record<string, unknown>, withCaptcha = true) => {
        const ip = freshIp();
        // Every request here is refused.
        return t.request<Api<'Problem'>>('POST', '/v1/unlock-requests', {
          body: withCaptcha ? { ...body, captcha: await solvedCaptcha(t, ip) } : body,
          ip,
        });
      };
      assertProblem(await post(valid(), false), 400, 'captcha_required');
      assertProblem(await post({ ...valid(), captcha: 'not a solved captcha' }, false), 400, 'captcha_required');
      for (const [name, body] of [
        ['an unknown field', { ...valid(), owner: 'ana' }],
        ['a missing serial', { contact: { email: uniqueEmail() }, proof: { kind: 'receipt' } }],
        ['a serial with spaces inside', { ...valid(), serial: 'SN 123' }],
        ['an oversized serial', { ...valid(), serial: 'S'.repeat(65) }],
        ['a contact that is not an email', { ...valid(), contact: { email: 'not an address' } }],
        ['a contact with a phone', { ...valid(), contact: { email: uniqueEmail(), phone: '+34612345678' } }],
        ['an unknown proof kind', { ...valid(), proof: { kind: 'selfie' } }],
        ['kind "other" without a text', { ...valid(), proof: { kind: 'other' } }],
        ['an oversized proof text', { ...valid(), proof: { kind: 'receipt', text: 'x'.repeat(2001) } }],
        ['a proof text with control characters', { ...valid(), proof: { kind: 'receipt', text: 'bought\u0000here' } }],
        ['a mistyped proof', { ...valid(), proof: 'receipt' }],
      ] as const) {
        const refused = await post(body);
        assertProblem(refused, 400, 'validation_failed');
        assert.ok(
          Array.isArray(refused.body.errors) && refused.body.errors.length > 0,
          `${name}: errors name the field`,
        );
      }
      const malformed = await t.request<Api<'Problem'>>('POST', '/v1/unlock-requests', {
        payload: '{"serial":',
        headers: { 'content-type': 'application/json' },
        ip: freshIp(),
      });
      assertProblem(malformed, 400, 'validation_failed');
      assert.equal(await count(), before, 'nothing was created');
      assertProblem(await t.request('GET', '/v1/unlock-requests/x'), 400, 'validation_failed');
      assertProblem(await staffCall('GET', '/v1/admin/unlock-requests?status=lost'), 400, 'validation_failed');
      const owner = await t.signUp();
      const pending = (await submit((await linkDevice(t, owner)).serial)).answer.body;
      for (const path of [
        `/v1/admin/unlock-requests/${pending.id}/approve`,
        `/v1/admin/unlock-requests/${pending.id}/reject`,
      ]) {
        assertProblem(await staffCall('POST', path, { body: { comment: 'looks fine' } }), 400, 'validation_failed');
      }
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${pending.id}/object`, {
          token: owner.token,
          body: { because: 'mine' },
        }),
        400,
        'validation_failed',
      );
      assert.equal(
        (await status(pending.id, pending.statusToken)).body.status,
        'submitted',
        'refused decisions change nothing',
      );
      assert.equal(
        (await staffCall('POST', `/v1/admin/unlock-requests/${pending.id}/approve`, { body: {} })).status,
        200,
        'an empty body is the same as none',
      );

      const serial = uniqueSerial();
      for (let i = 0; i < 3; i++) assert.equal((await submit(serial)).answer.status, 202);
      const limited = (await submit(serial)).answer;
      assertProblem(limited, 429, 'rate_limited');
      assert.ok(Number(limited.headers['retry-after']) > 0);
    });

    // Last: it moves the clock by 91 days, past every session of this app.
    test("a request that ended is deleted, with the requester's email and proof, 90 days later; its audit trail stays", async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const ended = (await submit(device.serial)).answer.body;
      const open = (await submit(device.serial)).answer.body;
      assert.equal((await staffCall('POST', `/v1/admin/unlock-requests/${ended.id}/reject`)).status, 200);
      t.clock.advance(89 * 24 * 3600 * 1000);
      await t.app.services.unlock.sweepEnded();
      assert.equal((await status(ended.id, ended.statusToken)).status, 200, 'kept within 90 days');
      t.clock.advance(2 * 24 * 3600 * 1000);
      assert.ok((await t.app.services.unlock.sweepEnded()) >= 1);
      assertProblem(await status(ended.id, ended.statusToken), 404, 'not_found');
      assert.equal((await status(open.id, open.statusToken)).body.status, 'submitted', 'a request still open stays');
      assert.ok(
        (await auditTrails()).some((trail) => trail.join() === 'unlock_request.submitted,unlock_request.rejected'),
        'the audit trail stays',
      );
    });
  });
}
