import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import type { Api, BearerSession } from '../testing/api-types.js';

const HOUR = 3_600_000;
/** bootloader.wait: a problem that says when the unlock becomes available. */
type BootloaderWait = Api<'Problem'> & { availableAt: string };

/** Node's own Ed25519 key from the published raw 32 bytes (as a bootloader holds it). */
function publishedKey(raw: string) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
}

for (const database of testDatabases()) {
  describe(`bootloader unlock (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t?.close());

    test('after 168 hours the device gets a statement whose signature verifies offline against the published key; the owner is told', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner, { model: 'Pixel 9', name: 'Ana phone' });
      const keys = await t.request<Api<'BootloaderKeySet'>>('GET', '/v1/bootloader/key');
      assert.equal(keys.status, 200, keys.text);
      assert.equal(keys.body.keys.length, 1);
      const [published] = keys.body.keys;
      assert.equal(published!.alg, 'Ed25519');
      assert.equal(Buffer.from(published!.publicKey, 'base64url').length, 32);

      // Before the wait: 403 with the time it may ask again, exactly 168 hours after the link.
      const early = await t.request<BootloaderWait>('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: device.serial },
      });
      assert.equal(early.status, 403, early.text);
      assert.equal(early.body.code, 'bootloader.wait');
      assert.equal(Date.parse(early.body.availableAt), t.clock.now() + 168 * HOUR);
      t.clock.advance(167 * HOUR);
      const stillEarly = await t.request<Api<'Problem'>>('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: device.serial },
      });
      assert.equal(stillEarly.status, 403);
      assert.equal(stillEarly.body.availableAt, early.body.availableAt);
      assert.ok(Date.parse(early.body.availableAt) > t.clock.now());
      assert.ok(Date.parse(early.body.availableAt) - t.clock.now() <= HOUR);

      t.clock.advance(HOUR);
      const wrongSerial = await t.request('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: 'SOMEONEELSE1' },
      });
      assert.equal(wrongSerial.status, 400, wrongSerial.text);
      const unlocked = await t.request<Api<'BootloaderUnlock'>>('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: device.serial },
      });
      assert.equal(unlocked.status, 201, unlocked.text);
      const bytes = Buffer.from(unlocked.body.statement, 'base64url');
      const statement = JSON.parse(bytes.toString('utf8'));
      assert.deepEqual(Object.keys(statement).sort(), [
        'accountHash',
        'deviceId',
        'expiresAt',
        'issuedAt',
        'kid',
        'serial',
      ]);
      assert.equal(statement.serial, device.serial.toUpperCase());
      assert.equal(statement.deviceId, device.id);
      assert.equal(statement.kid, published!.kid);
      assert.equal(Date.parse(statement.issuedAt), t.clock.now());
      assert.ok(Date.parse(statement.expiresAt) > Date.parse(statement.issuedAt));
      assert.ok(!statement.accountHash.includes(owner.id));
      assert.ok(
        verify(null, bytes, publishedKey(published!.publicKey), Buffer.from(unlocked.body.signature, 'base64url')),
        'verifies with the published key',
      );
      // One byte changed and it no longer verifies.
      const altered = Buffer.from(bytes);
      altered[altered.length - 3] = altered[altered.length - 3]! ^ 1;
      assert.ok(
        !verify(null, altered, publishedKey(published!.publicKey), Buffer.from(unlocked.body.signature, 'base64url')),
      );

      // The owner sees it in their activity and is told by email, in their language.
      const session = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: owner.email, password: owner.password },
      });
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: session.body.token });
      assert.ok(
        events.body.events.some((e: { type: string }) => e.type === 'device.bootloader_unlocked'),
        events.text,
      );
      await t.drainJobs();
      const mail = t.messages.to(owner.email!).find((m) => /bootloader/.test(m.subject ?? m.text));
      assert.ok(mail, 'the owner got an email');
      assert.match(mail.text, /Pixel 9/);
      // Staff see every authorisation in the audit log.
      const audit = await t.app.database.db
        .selectFrom('audit_records')
        .select(['detail'])
        .where('action', '=', 'bootloader.unlock_authorised')
        .execute();
      assert.ok(audit.some((row) => JSON.parse(row.detail).device === device.id));
    });

    test('a device in lost mode is refused; an account session or no token cannot ask', async () => {
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(169 * HOUR);
      const session = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: owner.email, password: owner.password },
      });
      const lock = await t.request('POST', `/v1/devices/${device.id}/commands`, {
        token: session.body.token,
        body: { type: 'lock', message: 'Lost: call 600 000 000' },
      });
      assert.equal(lock.status, 202, lock.text);
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: device.serial },
      });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.code, 'bootloader.lost_mode');
      assert.equal(
        (
          await t.request('POST', '/v1/device/bootloader-unlock', {
            token: session.body.token,
            body: { serial: device.serial },
          })
        ).status,
        403,
      );
      assert.equal(
        (await t.request('POST', '/v1/device/bootloader-unlock', { body: { serial: device.serial } })).status,
        401,
      );
    });

    test('removing a device and linking it to another account starts the wait again', async () => {
      const first = await t.signUp();
      const device = await linkDevice(t, first);
      t.clock.advance(200 * HOUR);
      const fresh = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: first.email, password: first.password },
      });
      assert.equal((await t.request('DELETE', `/v1/devices/${device.id}`, { token: fresh.body.token })).status, 204);
      const second = await t.signUp();
      const again = await linkDevice(t, second, { serial: device.serial });
      const refused = await t.request<BootloaderWait>('POST', '/v1/device/bootloader-unlock', {
        token: again.token,
        body: { serial: device.serial },
      });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.code, 'bootloader.wait');
      assert.equal(Date.parse(refused.body.availableAt), t.clock.now() + 168 * HOUR);
    });

    test('a rotated key signs from then on, and the old key stays published until it retires', async () => {
      const before = (await t.request<Api<'BootloaderKeySet'>>('GET', '/v1/bootloader/key')).body.keys;
      const rotated = await t.app.services.bootloaderKeys.rotate({ retireAfterMs: 24 * HOUR });
      const keys = (await t.request<Api<'BootloaderKeySet'>>('GET', '/v1/bootloader/key')).body.keys;
      assert.deepEqual(
        keys.map((k) => k.kid),
        [rotated.kid, ...before.map((k) => k.kid)],
      );

      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      t.clock.advance(168 * HOUR);
      const unlocked = await t.request<Api<'BootloaderUnlock'>>('POST', '/v1/device/bootloader-unlock', {
        token: device.token,
        body: { serial: device.serial },
      });
      assert.equal(unlocked.status, 201, unlocked.text);
      const bytes = Buffer.from(unlocked.body.statement, 'base64url');
      assert.equal(JSON.parse(bytes.toString()).kid, rotated.kid);
      const signature = Buffer.from(unlocked.body.signature, 'base64url');
      assert.ok(verify(null, bytes, publishedKey(keys[0]!.publicKey), signature));
      assert.ok(!verify(null, bytes, publishedKey(before[0]!.publicKey), signature), 'the old key did not sign it');
      // 168 hours later the old key has retired: only the new one is listed.
      assert.deepEqual(
        (await t.request<Api<'BootloaderKeySet'>>('GET', '/v1/bootloader/key')).body.keys.map((k) => k.kid),
        [rotated.kid],
      );
    });
  });
}
