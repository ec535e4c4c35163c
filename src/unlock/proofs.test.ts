import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { makeImage } from '../cloud/test-images.js';
import { deleteAccount } from '../deletion/test-helpers.js';
import { assertProblem, linkDevice } from '../devices/test-factories.js';
import type { Api } from '../testing/api-types.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { asStaff, createStaffMember, type StaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, uniqueEmail, type TestAccount, type TestApp } from '../testing/test-app.js';

/** A small but well-formed PDF, as an invoice would be. */
const TEST_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

let ipCounter = 0;
const freshIp = () => {
  ipCounter += 1;
  return `10.78.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`;
};

for (const database of testDatabases()) {
  describe(`unlock request proof files and the four-eyes approval (${database})`, () => {
    let t: TestApp;
    let support: StaffMember;
    let secondSupport: StaffMember;
    let admin: StaffMember;
    before(async () => {
      t = await createTestApp({ database, env: { ...QUICK_CAPTCHA_ENV, LANYARD_UNLOCK_WAIT_S: '3600' } });
      support = await createStaffMember(t, 'support');
      secondSupport = await createStaffMember(t, 'support');
      admin = await createStaffMember(t, 'admin');
    });
    after(async () => t.close());

    async function submit(serial: string): Promise<{ id: string; statusToken: string }> {
      const ip = freshIp();
      const answer = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', {
        ip,
        body: {
          serial,
          contact: { email: uniqueEmail('buyer') },
          proof: { kind: 'receipt' },
          captcha: await solvedCaptcha(t, ip),
        },
      });
      assert.equal(answer.status, 202, answer.text);
      return answer.body;
    }
    const upload = <T = Api<'UnlockProofFiles'>>(
      id: string,
      token: string,
      bytes: Buffer,
      contentType = 'application/octet-stream',
    ) =>
      t.request<T>('POST', `/v1/unlock-requests/${id}/proofs`, {
        payload: bytes,
        headers: { 'content-type': contentType, 'x-status-token': token },
      });
    const staffView = async (staff: StaffMember, id: string) => {
      const view = await asStaff(t, staff)<Api<'UnlockRequest'>>('GET', `/v1/admin/unlock-requests/${id}`);
      assert.equal(view.status, 200, view.text);
      return view.body;
    };
    async function lostModeDevice(owner: TestAccount) {
      const device = await linkDevice(t, owner);
      const lock = await t.request('POST', `/v1/devices/${device.id}/commands`, {
        token: owner.token,
        body: { type: 'lock', message: 'Lost phone, call +34 600 000 000' },
      });
      assert.equal(lock.status, 202, lock.text);
      return device;
    }

    test('the requester uploads a photo and a PDF; what they are comes from the bytes; staff see them inline, sandboxed', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const request = await submit(device.serial);
      const jpeg = await makeImage('jpeg');
      // Declared as a PDF, but the bytes are a JPEG: the bytes win.
      const photo = await upload(request.id, request.statusToken, jpeg, 'application/pdf');
      assert.equal(photo.status, 201, photo.text);
      assert.deepEqual(
        photo.body.files.map((f) => [f.contentType, f.size]),
        [['image/jpeg', jpeg.length]],
      );
      const pdf = await upload(request.id, request.statusToken, TEST_PDF, 'image/png');
      assert.equal(pdf.status, 201, pdf.text);
      const webp = await upload(request.id, request.statusToken, await makeImage('webp'), 'image/webp');
      assert.deepEqual(
        webp.body.files.map((f) => f.contentType),
        ['image/jpeg', 'application/pdf', 'image/webp'],
      );

      const view = await staffView(support, request.id);
      assert.deepEqual(
        view.proof.files.map((f: Api<'UnlockProofFile'>) => f.contentType),
        ['image/jpeg', 'application/pdf', 'image/webp'],
      );
      assert.equal(view.lock.lostMode, false);
      assert.equal(view.firstApproval, null);
      const [photoFile, pdfFile] = view.proof.files;
      assert.ok(pdfFile);
      assert.ok(photoFile);
      const served = await asStaff(t, support)('GET', `/v1/admin/unlock-requests/${request.id}/proofs/${photoFile.id}`);
      assert.equal(served.status, 200);
      assert.equal(served.headers['content-type'], 'image/jpeg');
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.equal(served.headers['content-disposition'], 'inline');
      assert.match(String(served.headers['content-security-policy']), /^sandbox;/);
      const bytes = await t.app.http.inject({
        method: 'GET',
        url: `/v1/admin/unlock-requests/${request.id}/proofs/${photoFile.id}`,
        headers: { authorization: `Bearer ${support.token}` },
      });
      assert.ok(bytes.rawPayload.equals(jpeg), 'staff get the bytes as uploaded');
      const servedPdf = await asStaff(t, admin)('GET', `/v1/admin/unlock-requests/${request.id}/proofs/${pdfFile.id}`);
      assert.equal(servedPdf.headers['content-type'], 'application/pdf');
      assert.match(String(servedPdf.headers['content-security-policy']), /^sandbox;/);

      // At rest the file is sealed: the blob is not the bytes uploaded, nor does it contain them.
      const stored = await t.app.blobs.get(`unlock-request-${request.id}`, photoFile.id);
      const sealed = await buffer(stored!);
      assert.ok(!sealed.includes(jpeg.subarray(0, 64)), 'the stored blob is sealed');
      const pdfStored = await buffer((await t.app.blobs.get(`unlock-request-${request.id}`, pdfFile.id))!);
      assert.ok(!pdfStored.includes(Buffer.from('%PDF')), 'the PDF is sealed too');

      // Only staff read proof files; the owner, the requester and nobody at all cannot.
      assertProblem(
        await t.request('GET', `/v1/admin/unlock-requests/${request.id}/proofs/${photoFile.id}`, {
          token: owner.token,
        }),
        403,
        'forbidden',
      );
      assertProblem(
        await t.request('GET', `/v1/admin/unlock-requests/${request.id}/proofs/${photoFile.id}`),
        401,
        'unauthenticated',
      );
      assertProblem(
        await asStaff(t, support)('GET', `/v1/admin/unlock-requests/${request.id}/proofs/no-such-file`),
        404,
        'not_found',
      );
      assertProblem(await asStaff(t, support)('GET', '/v1/admin/unlock-requests/no-such-request'), 404, 'not_found');
    });

    test('what is not an image or a PDF, too large, too many, a wrong token or a decided request is refused', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const request = await submit(device.serial);
      // An HTML page calling itself a PNG, a GIF (not taken as proof), text: refused by their bytes.
      assertProblem(
        await upload(request.id, request.statusToken, Buffer.from('<html><script>alert(1)</script>'), 'image/png'),
        415,
        'unlock_request.unsupported_proof_type',
      );
      assertProblem(
        await upload(request.id, request.statusToken, await makeImage('gif'), 'image/gif'),
        415,
        'unlock_request.unsupported_proof_type',
      );
      assertProblem(
        await upload(request.id, request.statusToken, Buffer.alloc(0), 'image/jpeg'),
        415,
        'unlock_request.unsupported_proof_type',
      );
      // JSON is no file.
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${request.id}/proofs`, {
          body: { file: 'x' },
          headers: { 'x-status-token': request.statusToken },
        }),
        415,
        'unsupported_media_type',
      );
      // Over 10 MiB.
      const huge = Buffer.concat([await makeImage('jpeg'), Buffer.alloc(10 * 1024 * 1024)]);
      assertProblem(await upload(request.id, request.statusToken, huge, 'image/jpeg'), 413, 'payload_too_large');
      // A wrong token is the same 404 as a wrong id; no token at all is a bad request.
      const jpeg = await makeImage('jpeg');
      assertProblem(await upload(request.id, 'not-the-token', jpeg), 404, 'not_found');
      assertProblem(await upload('no-such-request', request.statusToken, jpeg), 404, 'not_found');
      assertProblem(
        await t.request('POST', `/v1/unlock-requests/${request.id}/proofs`, {
          payload: jpeg,
          headers: { 'content-type': 'image/jpeg' },
        }),
        400,
        'validation_failed',
      );
      // Five at most.
      for (let i = 0; i < 5; i++) assert.equal((await upload(request.id, request.statusToken, jpeg)).status, 201);
      assertProblem(await upload(request.id, request.statusToken, jpeg), 409, 'unlock_request.too_many_proofs');
      assert.equal((await staffView(support, request.id)).proof.files.length, 5, 'nothing refused was kept');

      // Once staff decided, no more proof.
      const decided = await submit(device.serial);
      assert.equal((await asStaff(t, support)('POST', `/v1/admin/unlock-requests/${decided.id}/reject`)).status, 200);
      assertProblem(await upload(decided.id, decided.statusToken, jpeg), 409, 'unlock_request.already_decided');
    });

    test('four eyes: a device in lost mode needs a second, different staff member to approve; the same one twice is refused', async () => {
      const owner = await t.signUp();
      const device = await lostModeDevice(owner);
      const request = await submit(device.serial);
      const before = await staffView(support, request.id);
      assert.equal(before.lock.lostMode, true);

      const first = await asStaff(t, support)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${request.id}/approve`,
        {
          body: { note: 'Receipt matches the serial' },
        },
      );
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.status, 'submitted', 'one approval does not start the waiting period');
      assert.equal(first.body.firstApproval?.staffId, support.id);
      assert.equal(first.body.firstApproval?.staffEmail, support.email);
      assert.equal(first.body.releaseAt, null);
      assert.equal(
        t.messages.to(owner.email!).filter((m) => /unlock/i.test(m.subject)).length,
        0,
        'the owner is not told yet',
      );

      assertProblem(
        await asStaff(t, support)('POST', `/v1/admin/unlock-requests/${request.id}/approve`),
        409,
        'unlock_request.same_approver',
      );
      assert.equal((await staffView(support, request.id)).status, 'submitted', 'the refusal changed nothing');

      const second = await asStaff(t, secondSupport)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${request.id}/approve`,
      );
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.status, 'waiting');
      assert.equal(second.body.firstApproval, null);
      assert.ok(second.body.releaseAt);

      const audit = await t.app.database.db
        .selectFrom('audit_records')
        .select(['action', 'actor_id', 'reason'])
        .where('action', 'in', ['unlock_request.first_approval', 'unlock_request.approved'])
        .where('actor_id', 'in', [support.id, secondSupport.id])
        .orderBy('at')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((row) => [row.action, row.actor_id, row.reason]),
        [
          ['unlock_request.first_approval', support.id, 'Receipt matches the serial'],
          ['unlock_request.approved', secondSupport.id, null],
        ],
      );
    });

    test('four eyes works for an admin as the second approver, and a device not in lost mode needs one approval', async () => {
      const owner = await t.signUp();
      const lost = await lostModeDevice(owner);
      const request = await submit(lost.serial);
      assert.equal(
        (await asStaff(t, admin)<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${request.id}/approve`)).body
          .status,
        'submitted',
      );
      // A rejection needs no second pair of eyes.
      const another = await submit(lost.serial);
      assert.equal((await asStaff(t, support)('POST', `/v1/admin/unlock-requests/${another.id}/approve`)).status, 200);
      const rejected = await asStaff(t, admin)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${another.id}/reject`,
      );
      assert.equal(rejected.body.status, 'rejected');
      assert.equal(rejected.body.firstApproval, null);
      const second = await asStaff(t, support)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${request.id}/approve`,
      );
      assert.equal(second.body.status, 'waiting');

      const plain = await linkDevice(t, await t.signUp());
      const single = await submit(plain.serial);
      const approved = await asStaff(t, admin)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${single.id}/approve`,
      );
      assert.equal(approved.body.status, 'waiting', 'no lost mode: one approval is enough');

      // The owner and other accounts do not reach the staff routes.
      assertProblem(
        await t.request('GET', `/v1/admin/unlock-requests/${single.id}`, { token: owner.token }),
        403,
        'forbidden',
      );
    });

    test('erasing a staff member withdraws their pending first approvals and takes their id out of every request', async () => {
      const leaving = await createStaffMember(t, 'support');
      const owner = await t.signUp();
      const device = await lostModeDevice(owner);
      const pending = await submit(device.serial);
      const decided = await submit(device.serial);
      for (const id of [pending.id, decided.id])
        assert.equal((await asStaff(t, leaving)('POST', `/v1/admin/unlock-requests/${id}/approve`)).status, 200);
      const approvedAt = (await t.app.database.db
        .selectFrom('unlock_requests')
        .select('first_approved_at')
        .where('id', '=', decided.id)
        .executeTakeFirstOrThrow())!.first_approved_at;
      assert.equal(
        (await asStaff(t, support)<Api<'UnlockRequest'>>('POST', `/v1/admin/unlock-requests/${decided.id}/approve`))
          .body.status,
        'waiting',
      );

      await deleteAccount(t, { ...leaving, token: leaving.token });

      const rows = await t.app.database.db
        .selectFrom('unlock_requests')
        .select(['id', 'status', 'first_approved_by', 'first_approved_at'])
        .where('id', 'in', [pending.id, decided.id])
        .execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      assert.deepEqual(byId.get(pending.id), {
        id: pending.id,
        status: 'submitted',
        first_approved_by: null,
        first_approved_at: null,
      });
      assert.deepEqual(byId.get(decided.id), {
        id: decided.id,
        status: 'waiting',
        first_approved_by: null,
        first_approved_at: approvedAt,
      });
      const view = await staffView(support, pending.id);
      assert.equal(view.status, 'submitted');
      assert.equal(view.firstApproval, null, 'the erased member no longer counts as the first pair of eyes');
      const withdrawn = await t.app.database.db
        .selectFrom('audit_records')
        .select(['action', 'actor_id'])
        .where('action', '=', 'unlock_request.first_approval_withdrawn')
        .execute();
      assert.deepEqual(withdrawn, [{ action: 'unlock_request.first_approval_withdrawn', actor_id: null }]);

      // Four eyes still means two current staff members.
      const again = await asStaff(t, support)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${pending.id}/approve`,
      );
      assert.equal(again.body.status, 'submitted');
      assert.equal(again.body.firstApproval?.staffId, support.id);
      const second = await asStaff(t, secondSupport)<Api<'UnlockRequest'>>(
        'POST',
        `/v1/admin/unlock-requests/${pending.id}/approve`,
      );
      assert.equal(second.body.status, 'waiting');
    });

    // Last: it moves the clock past the retention period (and every session of this app).
    test('the proof files are deleted with the request when it is swept, 90 days after it ended', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const request = await submit(device.serial);
      const added = await upload(request.id, request.statusToken, await makeImage('png'));
      const proofId = added.body.files[0]?.id;
      assert.ok(proofId);
      assert.ok(await t.app.blobs.get(`unlock-request-${request.id}`, proofId));
      assert.equal((await asStaff(t, support)('POST', `/v1/admin/unlock-requests/${request.id}/reject`)).status, 200);
      t.clock.advance(91 * 24 * 3600 * 1000);
      assert.ok((await t.app.services.unlock.sweepEnded()) >= 1);
      assert.equal(await t.app.blobs.get(`unlock-request-${request.id}`, proofId), undefined, 'the blob is gone');
      const rows = await t.app.database.db
        .selectFrom('unlock_request_proofs')
        .select('id')
        .where('request_id', '=', request.id)
        .execute();
      assert.deepEqual(rows, [], 'and so is its row');
    });
  });
}
