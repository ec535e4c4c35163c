import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deleteAccount } from '../deletion/test-helpers.js';
import { activation, assertProblem, linkDevice, uniqueImei, uniqueSerial } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { asStaff, createStaffMember, enrolTotp, type StaffMember } from '../testing/staff.js';
import {
  createTestApp,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type TestApp,
  type TestResponse,
} from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

type Person = Awaited<ReturnType<TestApp['signUp']>>;

for (const database of testDatabases()) {
  describe(`staff: looking accounts up, suspending, the audit and the staff list (${database})`, () => {
    let t: TestApp;
    let support: StaffMember;
    let admin: StaffMember;
    let asSupport: TestApp['request'];
    let asAdmin: TestApp['request'];

    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
      support = await createStaffMember(t, 'support');
      admin = await createStaffMember(t, 'admin');
      asSupport = asStaff(t, support);
      asAdmin = asStaff(t, admin);
    });
    after(async () => t.close());

    /** A person with an email, a confirmed phone and a linked phone (serial and IMEI). */
    const person = async (): Promise<Person & { phone: string; serial: string; imei: string }> => {
      const account = await t.signUp({ name: 'Ada Person' });
      const phone = uniquePhone();
      assert.equal((await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } })).status, 202);
      await t.drainJobs();
      const confirmed = await t.request('POST', '/v1/me/phone/confirm', {
        token: account.token,
        body: { phone, code: t.messages.lastCode(phone) },
      });
      assert.equal(confirmed.status, 200, confirmed.text);
      const serial = uniqueSerial();
      const imei = uniqueImei();
      await linkDevice(t, account, { serial, imei });
      return { ...account, phone, serial, imei };
    };
    const eventsOf = async (account: Person) =>
      (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token })).body
        .events as Array<{
        type: string;
        reason?: string;
        client: string;
        ip: string;
      }>;

    test('support finds an account by email, phone, id, serial or IMEI, with a reason; each lookup is audited and shown to the person', async () => {
      const ada = await person();
      for (const [q, matchedBy] of [
        [ada.email!, 'email'],
        [ada.phone, 'phone'],
        [ada.id, 'id'],
        [ada.serial, 'serial'],
        [ada.imei, 'imei'],
      ] as const) {
        const found = await asSupport<Api<'StaffAccountMatchList'>>(
          'GET',
          `/v1/admin/accounts?q=${encodeURIComponent(q)}&reason=${encodeURIComponent(`ticket ${matchedBy}`)}`,
        );
        assert.equal(found.status, 200, found.text);
        assert.equal(found.body.accounts.length, 1, `${matchedBy}: ${found.text}`);
        const [match] = found.body.accounts;
        assert.ok(match);
        assert.equal(match.id, ada.id);
        assert.equal(match.matchedBy, matchedBy);
        assert.equal(match.status, 'active');
        assert.ok(match.createdAt);
        assert.match(match.email ?? '', /^\w\*\*\*@\w\*\*\*\.\w+$/, 'the email is masked');
        assert.ok(!found.text.includes(ada.email!) && !found.text.includes(ada.phone), 'no address in clear');
        assert.match(match.phone ?? '', /\*\*\* \*\*\* \d{3}$/);
      }
      const events = await eventsOf(ada);
      const looks = events.filter((e) => e.type === 'staff_access');
      assert.deepEqual(looks.map((e) => e.reason).sort(), [
        'ticket email',
        'ticket id',
        'ticket imei',
        'ticket phone',
        'ticket serial',
      ]);
      assert.equal(looks[0]!.client, 'Lanyard support');
      assert.equal(looks[0]!.ip, '', "the staff member's address is not the person's to see");

      const audit = await asSupport<Api<'AuditPage'>>(
        'GET',
        `/v1/admin/audit?account=${ada.id}&action=staff.account_found`,
      );
      assert.equal(audit.status, 200, audit.text);
      assert.equal(audit.body.records.length, 5);
      for (const record of audit.body.records) {
        assert.equal(record.staffId, support.id, 'who');
        assert.equal(record.accountId, ada.id, 'whom');
        assert.match(record.reason ?? '', /^ticket /, 'why');
        assert.ok(Date.parse(record.at), 'when');
      }

      const nobody = await asSupport<Api<'StaffAccountMatchList'>>(
        'GET',
        '/v1/admin/accounts?q=nobody%40example.com&reason=wrong+number',
      );
      assert.deepEqual(nobody.body, { accounts: [] });
    });

    test('a lookup without a reason is refused with staff.reason_required; a person and a device token are refused', async () => {
      const ada = await t.signUp();
      assertProblem(await asSupport('GET', `/v1/admin/accounts?q=${ada.id}`), 400, 'staff.reason_required');
      assertProblem(
        await asSupport('GET', `/v1/admin/accounts?q=${ada.id}&reason=%20%20`),
        400,
        'staff.reason_required',
      );
      assertProblem(await asSupport('GET', `/v1/admin/accounts/${ada.id}`), 400, 'staff.reason_required');
      assertProblem(
        await asSupport('POST', `/v1/admin/accounts/${ada.id}/reveal`, { body: {} }),
        400,
        'staff.reason_required',
      );
      assertProblem(await asSupport('POST', `/v1/admin/accounts/${ada.id}/suspend`), 400, 'staff.reason_required');
      assertProblem(await asSupport('GET', '/v1/admin/accounts?reason=x'), 400, 'validation_failed');
      assertProblem(
        await t.request('GET', `/v1/admin/accounts?q=${ada.id}&reason=curious`, { token: ada.token }),
        403,
        'forbidden',
      );
      assert.equal(
        (await eventsOf(ada)).filter((e) => e.type === 'staff_access').length,
        0,
        'a refused lookup looked at nothing',
      );
      assertProblem(await asSupport('GET', '/v1/admin/accounts/no-such-account?reason=x'), 404, 'not_found');
    });

    test("the account's page: masked profile, devices and locks, sessions, events, credits, deletion state; reveal is audited too", async () => {
      const ada = await person();
      const credited = await asAdmin('POST', `/v1/admin/accounts/${ada.id}/credits`, {
        body: { amount: 7, reason: 'welcome', idempotencyKey: `k-${ada.id}` },
      });
      assert.equal(credited.status, 201, credited.text);
      const captcha = await solvedCaptcha(t, '10.66.0.1');
      const unlockRequest = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', {
        ip: '10.66.0.1',
        body: {
          serial: ada.imei,
          contact: { email: uniqueEmail('buyer') },
          proof: { kind: 'receipt', text: 'Bought it second hand' },
          captcha,
        },
      });
      assert.equal(unlockRequest.status, 202, unlockRequest.text);
      const view = await asSupport<Api<'StaffAccountView'>>(
        'GET',
        `/v1/admin/accounts/${ada.id}?reason=${encodeURIComponent('unlock request 123')}`,
      );
      assert.equal(view.status, 200, view.text);
      const body = view.body;
      assert.equal(body.profile.id, ada.id);
      assert.equal(body.profile.name, 'Ada Person');
      assert.ok(!view.text.includes(ada.email!) && !view.text.includes(ada.phone), 'addresses masked');
      assert.equal(body.status, 'active');
      assert.equal(body.suspendedAt, null);
      assert.equal(body.devices.length, 1);
      assert.equal(body.devices[0]?.locked, true);
      assert.ok(ada.serial.endsWith(body.devices[0]?.serialHint ?? '-'));
      assert.ok(body.sessions.some((s: { kind: string }) => s.kind === 'api'));
      assert.ok(body.events.some((e: { type: string }) => e.type === 'device.linked'));
      assert.deepEqual(body.credits, { balance: 7, currency: 'credits' });
      assert.deepEqual(body.deletion, { status: 'none' });
      assert.deepEqual(
        body.unlockRequests.map((r: { id: string; status: string }) => [r.id, r.status]),
        [[unlockRequest.body.id, 'submitted']],
        'the unlock request about its IMEI',
      );
      assert.ok(!view.text.includes('Bought it second hand'), "the proof is the unlock request queue's to show");
      assert.deepEqual(body.twoStep, { enabled: false, locked: false });

      const revealed = await asSupport<Api<'StaffRevealedAddresses'>>('POST', `/v1/admin/accounts/${ada.id}/reveal`, {
        body: { reason: 'customer on the phone, ticket 9' },
      });
      assert.equal(revealed.status, 200, revealed.text);
      assert.deepEqual(revealed.body, { id: ada.id, email: ada.email, phone: ada.phone });

      const looks = (await eventsOf(ada)).filter((e) => e.type === 'staff_access').map((e) => e.reason);
      assert.deepEqual(
        looks,
        ['customer on the phone, ticket 9', 'unlock request 123'],
        'newest first, each with its reason',
      );
      const audit = await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${ada.id}`);
      assert.deepEqual(
        audit.body.records.filter((r) => r.action.startsWith('staff.account')).map((r) => [r.action, r.reason]),
        [
          ['staff.account_revealed', 'customer on the phone, ticket 9'],
          ['staff.account_viewed', 'unlock request 123'],
        ],
      );
    });

    test('a suspended account cannot sign in (account.suspended), its sessions end, devices stay locked, the person is told; restore undoes it', async () => {
      const ada = await person();
      const device = await linkDevice(t, ada);
      const suspended = await asSupport<Api<'StaffAccountSuspended'>>('POST', `/v1/admin/accounts/${ada.id}/suspend`, {
        body: { reason: 'fraud report 42' },
      });
      assert.equal(suspended.status, 200, suspended.text);
      assert.equal(suspended.body.status, 'suspended');
      assertProblem(
        await asSupport('POST', `/v1/admin/accounts/${ada.id}/suspend`, { body: { reason: 'again' } }),
        409,
        'account.already_suspended',
      );

      assertProblem(await t.request('GET', '/v1/me', { token: ada.token }), 401, 'unauthenticated');
      for (const login of [ada.email!, ada.phone, ada.id]) {
        assertProblem(
          await t.request('POST', '/v1/sessions', { body: { login, password: ada.password } }),
          403,
          'account.suspended',
        );
      }
      assertProblem(
        await t.request('POST', '/v1/sessions', { body: { login: ada.email, password: 'not the password' } }),
        401,
        'invalid_credentials',
      );
      assert.deepEqual((await activation(t, ada.serial)).body.locked, true, 'the devices stay locked to the account');
      assert.equal((await activation(t, device.serial)).body.locked, true);

      await t.drainJobs();
      // Jobs may send in any order: the notice is found among the messages, not taken as the last.
      const mail = t.messages.to(ada.email!).find((m) => /suspended/.test(m.subject));
      assert.ok(mail, 'the person is told by email');
      assert.match(mail.text, /reason: fraud report 42/);
      assert.ok(
        t.messages.to(ada.phone).some((m) => /suspended your account/.test(m.text)),
        'and by SMS',
      );

      const view = await asSupport<Api<'StaffAccountView'>>(
        'GET',
        `/v1/admin/accounts/${ada.id}?reason=check+suspension`,
      );
      assert.equal(view.body.status, 'suspended');
      assert.ok(view.body.suspendedAt);
      assert.deepEqual(
        view.body.sessions.filter((s: { kind: string }) => s.kind !== 'device'),
        [],
        'no web or API session is left',
      );
      const found = await asSupport<Api<'StaffAccountMatchList'>>('GET', `/v1/admin/accounts?q=${ada.id}&reason=check`);
      assert.equal(found.body.accounts[0]?.status, 'suspended');

      const restored = await asSupport<Api<'StaffAccountRestored'>>('POST', `/v1/admin/accounts/${ada.id}/restore`, {
        body: { reason: 'report withdrawn' },
      });
      assert.equal(restored.status, 200, restored.text);
      assert.equal(restored.body.status, 'active');
      assertProblem(
        await asSupport('POST', `/v1/admin/accounts/${ada.id}/restore`, { body: { reason: 'again' } }),
        409,
        'account.not_suspended',
      );
      await t.drainJobs();
      assert.ok(
        t.messages.to(ada.email!).some((m) => /restored your account .*report withdrawn/.test(m.text)),
        'the person is told of the restore',
      );
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: ada.email, password: ada.password },
      });
      assert.equal(signedIn.status, 201, signedIn.text);
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: signedIn.body.token }))
        .body.events;
      assert.deepEqual(
        events
          .filter((e) => e.type === 'account.suspended' || e.type === 'account.restored')
          .map((e) => [e.type, e.reason]),
        [
          ['account.restored', 'report withdrawn'],
          ['account.suspended', 'fraud report 42'],
        ],
      );
      const actions = (await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${ada.id}`)).body.records.map(
        (r: { action: string }) => r.action,
      );
      assert.ok(actions.includes('staff.account_suspended') && actions.includes('staff.account_restored'));
      assertProblem(
        await asSupport('POST', `/v1/admin/accounts/${support.id}/suspend`, { body: { reason: 'me' } }),
        409,
        'staff.own_account',
      );
    });

    test("support ends every session of an account: the person's tokens stop working, the device keeps its own; audited", async () => {
      const ada = await person();
      const second = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: ada.email, password: ada.password },
      });
      const device = await linkDevice(t, ada);
      const ended = await asSupport<Api<'StaffSessionsEnded'>>(
        'DELETE',
        `/v1/admin/accounts/${ada.id}/sessions?reason=${encodeURIComponent('account takeover report')}`,
      );
      assert.equal(ended.status, 200, ended.text);
      assert.equal(ended.body.ended, 2);
      for (const token of [ada.token, second.body.token])
        assertProblem(await t.request('GET', '/v1/me', { token }), 401, 'unauthenticated');
      assert.equal(
        (await t.request('GET', '/v1/device', { token: device.token })).status,
        200,
        'a device token is no session to end here',
      );
      const again = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: ada.email, password: ada.password },
      });
      assert.equal(again.status, 201, 'the person may sign in again');
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: again.body.token }))
        .body.events;
      assert.equal(events.find((e) => e.type === 'sessions.ended_by_staff')?.reason, 'account takeover report');
      const [record] = (
        await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${ada.id}&action=staff.sessions_ended`)
      ).body.records;
      assert.ok(record);
      assert.deepEqual(
        [record.staffId, record.reason, record.detail],
        [support.id, 'account takeover report', { sessionsEnded: 2 }],
      );
    });

    test('the audit log filters by staff, account, action and time, pages with a cursor, and downloads as CSV', async () => {
      const ada = await t.signUp();
      const start = new Date(t.clock.now()).toISOString();
      for (let i = 0; i < 5; i++) {
        t.clock.advance(1000);
        assert.equal(
          (await asAdmin('GET', `/v1/admin/accounts/${ada.id}?reason=${encodeURIComponent(`=audit ${i}, "quoted"`)}`))
            .status,
          200,
        );
      }
      const filter = `staff=${admin.id}&account=${ada.id}&action=staff.account_viewed&since=${encodeURIComponent(start)}`;
      const first = await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?${filter}&limit=2`);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.records.length, 2);
      assert.ok(first.body.cursor);
      const seen = [...first.body.records];
      let cursor: string | null = first.body.cursor;
      while (cursor) {
        const page: TestResponse<Api<'AuditPage'>> = await asSupport<Api<'AuditPage'>>(
          'GET',
          `/v1/admin/audit?${filter}&limit=2&cursor=${cursor}`,
        );
        assert.equal(page.status, 200, page.text);
        seen.push(...page.body.records);
        cursor = page.body.cursor;
      }
      assert.deepEqual(
        seen.map((r) => r.reason),
        [4, 3, 2, 1, 0].map((i) => `=audit ${i}, "quoted"`),
        'newest first, each once',
      );
      assert.equal(
        (
          await asSupport<Api<'AuditPage'>>(
            'GET',
            `/v1/admin/audit?${filter.replace(`staff=${admin.id}`, `staff=${support.id}`)}`,
          )
        ).body.records.length,
        0,
      );
      const byEmail = await asSupport<Api<'AuditPage'>>(
        'GET',
        `/v1/admin/audit?${filter.replace(`staff=${admin.id}`, `staff=${encodeURIComponent(admin.email)}`)}`,
      );
      assert.equal(byEmail.body.records.length, 5, 'a staff member is also found by email');
      assert.equal(byEmail.body.records[0]?.staffEmail, admin.email);
      const later = new Date(t.clock.now() - 500).toISOString();
      assert.equal(
        (
          await asSupport<Api<'AuditPage'>>(
            'GET',
            `/v1/admin/audit?account=${ada.id}&since=${encodeURIComponent(later)}`,
          )
        ).body.records.length,
        1,
      );
      assertProblem(await asSupport('GET', '/v1/admin/audit?cursor=not-a-cursor'), 400, 'cursor_invalid');
      assertProblem(await asSupport('GET', '/v1/admin/audit?since=yesterday'), 400, 'validation_failed');

      for (const csv of [
        await asSupport('GET', `/v1/admin/audit?${filter}&format=csv`),
        await asSupport('GET', `/v1/admin/audit?${filter}`, { headers: { accept: 'text/csv' } }),
      ]) {
        assert.equal(csv.status, 200, csv.text);
        assert.match(String(csv.headers['content-type']), /^text\/csv/);
        const lines = csv.text.trim().split('\r\n');
        assert.equal(lines[0], 'id,at,action,staffId,staffEmail,accountId,reason,detail');
        assert.equal(lines.length, 6);
        assert.ok(
          lines[1]!.includes(`"${admin.id}","${admin.email}","${ada.id}","'=audit 4, ""quoted"""`),
          `quoted, and no formula for a spreadsheet: ${lines[1]}`,
        );
      }
      assertProblem(await t.request('GET', '/v1/admin/audit', { token: ada.token }), 403, 'forbidden');
    });

    test('admins manage staff; support cannot; new staff must enrol two-step verification first; audited', async () => {
      const newcomer = await t.signUp();
      assertProblem(await asSupport('GET', '/v1/admin/staff'), 403, 'forbidden');
      assertProblem(
        await asSupport('POST', '/v1/admin/staff', { body: { email: newcomer.email, role: 'support' } }),
        403,
        'forbidden',
      );
      assertProblem(
        await asAdmin('POST', '/v1/admin/staff', { body: { email: 'nobody-here@example.com', role: 'support' } }),
        404,
        'not_found',
      );
      assertProblem(
        await asAdmin('POST', '/v1/admin/staff', { body: { email: newcomer.email, role: 'root' } }),
        400,
        'validation_failed',
      );

      const added = await asAdmin<Api<'StaffMember'>>('POST', '/v1/admin/staff', {
        body: { email: newcomer.email, role: 'support' },
      });
      assert.equal(added.status, 201, added.text);
      assert.deepEqual([added.body.id, added.body.role, added.body.secondFactor], [newcomer.id, 'support', false]);
      const listed = await asAdmin<Api<'StaffList'>>('GET', '/v1/admin/staff');
      assert.ok(listed.body.staff.some((s: { id: string; role: string }) => s.id === admin.id && s.role === 'admin'));
      assert.ok(listed.body.staff.some((s: { id: string }) => s.id === newcomer.id));

      assertProblem(
        await t.request('GET', '/v1/admin/unlock-requests', { token: newcomer.token }),
        403,
        'staff.second_factor_required',
      );
      await enrolTotp(t, newcomer.token);
      assert.equal((await t.request('GET', '/v1/admin/unlock-requests', { token: newcomer.token })).status, 200);
      assertProblem(await t.request('GET', '/v1/admin/staff', { token: newcomer.token }), 403, 'forbidden');

      const promoted = await asAdmin('POST', '/v1/admin/staff', { body: { email: newcomer.email, role: 'admin' } });
      assert.equal(promoted.status, 200, promoted.text);
      assert.equal((await t.request('GET', '/v1/admin/staff', { token: newcomer.token })).status, 200);

      assertProblem(await asAdmin('DELETE', `/v1/admin/staff/${admin.id}`), 409, 'staff.own_account');
      assert.equal((await asAdmin('DELETE', `/v1/admin/staff/${newcomer.id}`)).status, 204);
      assertProblem(await asAdmin('DELETE', `/v1/admin/staff/${newcomer.id}`), 404, 'not_found');
      assertProblem(await t.request('GET', '/v1/admin/unlock-requests', { token: newcomer.token }), 403, 'forbidden');
      const actions = (
        await asAdmin<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${newcomer.id}&staff=${admin.id}`)
      ).body.records.map((r: { action: string }) => r.action);
      assert.deepEqual(actions, ['staff.staff_removed', 'staff.staff_added', 'staff.staff_added']);
    });

    test('a staff session idle for 30 minutes ends at its next staff route; one in use keeps going', async () => {
      const member = await createStaffMember(t, 'support');
      t.clock.advance(29 * 60_000);
      assert.equal((await t.request('GET', '/v1/admin/unlock-requests', { token: member.token })).status, 200);
      t.clock.advance(29 * 60_000);
      assert.equal(
        (await t.request('GET', '/v1/admin/unlock-requests', { token: member.token })).status,
        200,
        'used 29 minutes ago: still open',
      );
      t.clock.advance(30 * 60_000);
      assertProblem(
        await t.request('GET', '/v1/admin/unlock-requests', { token: member.token }),
        401,
        'staff.session_idle',
      );
      assertProblem(await t.request('GET', '/v1/me', { token: member.token }), 401, 'unauthenticated');
    });

    test('erasing an account leaves nothing of the person in the audit: its id and the reasons go, the records stay under the hash', async () => {
      const ada = await person();
      assert.equal(
        (await asSupport('GET', `/v1/admin/accounts/${ada.id}?reason=${encodeURIComponent(`about ${ada.email}`)}`))
          .status,
        200,
      );
      await deleteAccount(t, { ...ada, token: ada.token });
      assert.deepEqual(
        (await asSupport<Api<'AuditPage'>>('GET', `/v1/admin/audit?account=${ada.id}`)).body.records,
        [],
      );
      const rows = await t.app.database.db
        .selectFrom('audit_records')
        .selectAll()
        .where('subject', '=', t.app.services.deletion.accountHash(ada.id))
        .execute();
      assert.ok(rows.some((r) => r.action === 'staff.account_viewed'));
      const text = JSON.stringify(rows);
      for (const needle of [ada.id, ada.email!, ada.phone]) assert.ok(!text.includes(needle), `${needle} is gone`);
    });
  });
}
