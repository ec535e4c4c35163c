import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { makeLargeJpeg } from '../cloud/test-images.js';
import { uniqueSerial } from '../devices/test-factories.js';
import { nextCode, outboxFor } from '../testing/outbox.js';
import { uniqueEmail, uniquePhone } from '../testing/test-app.js';
import { CONFIRMATION_SENTENCE } from './service.js';

// Driving a spawned `lanyard serve` over real HTTP, with codes read from its dev outbox: what the crash
// test needs to fill an account and delete it.

export interface Answer {
  status: number;
  body: any;
  bytes: Buffer;
}

/** One HTTP call to the spawned server. */
export async function call(
  base: string,
  method: string,
  url: string,
  options: { body?: unknown; token?: string; raw?: Buffer; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Blob | undefined;
  if (options.raw) {
    body = new Blob([new Uint8Array(options.raw)]);
    headers['content-type'] = options.type ?? 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${url}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const json =
    /json/.test(response.headers.get('content-type') ?? '') && bytes.length > 0
      ? JSON.parse(bytes.toString('utf8'))
      : undefined;
  return { status: response.status, body: json, bytes };
}

export interface SpawnedAccount {
  id: string;
  email: string;
  phone: string;
  name: string;
  password: string;
  token: string;
  deviceTokens: string[];
  sessions: string[];
  /** Every item's text starts with it: one needle finds any item left behind. */
  marker: string;
  items: number;
  photo: Buffer;
}

/** Signs up an account with email, phone and name, and fills it: devices, `items` cloud items, photos, sessions. */
export async function fillAccount(base: string, dataDir: string, items: number): Promise<SpawnedAccount> {
  const email = uniqueEmail('crash');
  const phone = uniquePhone();
  const name = `Crash Tester ${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  assert.equal((await call(base, 'POST', '/v1/signup', { body: { email } })).status, 202);
  const done = await call(base, 'POST', '/v1/signup/complete', {
    body: { email, code: await nextCode(dataDir, email, 0), password, name },
  });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  const token: string = done.body.token;
  assert.equal((await call(base, 'POST', '/v1/me/phone', { token, body: { phone } })).status, 202);
  assert.equal(
    (
      await call(base, 'POST', '/v1/me/phone/confirm', {
        token,
        body: { phone, code: await nextCode(dataDir, phone, 0) },
      })
    ).status,
    200,
  );

  const deviceTokens: string[] = [];
  for (let i = 0; i < 2; i++) {
    const linked = await call(base, 'POST', '/v1/devices', {
      token,
      body: { serial: uniqueSerial(), model: 'Crash Phone', name: `${name} phone ${i}`, kind: 'phone' },
    });
    assert.equal(linked.status, 201);
    deviceTokens.push(linked.body.deviceToken);
  }
  const marker = `CRASHMARK-${randomBytes(6).toString('hex')}`;
  const collections = ['contacts', 'notes', 'messages', 'app-data'];
  // Written as a phone syncs them: batches per collection (the one-item route is tested elsewhere).
  for (const [c, collection] of collections.entries()) {
    const ids = Array.from({ length: items }, (_, i) => i).filter((i) => i % collections.length === c);
    for (let start = 0; start < ids.length; start += 1000) {
      const ops = ids.slice(start, start + 1000).map((i) => ({
        op: 'put',
        id: `item-${i}`,
        data: { text: `${marker} ${i}`, from: name },
      }));
      const batch = await call(base, 'POST', `/v1/cloud/${collection}/batch`, {
        token: deviceTokens[c % 2]!,
        body: { ops },
      });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.deepEqual(
        (batch.body.results as Array<{ status: number }>).map((r) => r.status),
        ops.map(() => 200),
      );
    }
  }
  const photo = await makeLargeJpeg(40_000);
  for (const id of ['IMG_1', 'IMG_2'])
    assert.equal(
      (await call(base, 'PUT', `/v1/cloud/photos/${id}`, { token, raw: photo, type: 'image/jpeg' })).status,
      200,
    );
  const sessions: string[] = [];
  for (const login of [email, phone]) {
    const signedIn = await call(base, 'POST', '/v1/sessions', { body: { login, password } });
    assert.equal(signedIn.status, 201);
    sessions.push(signedIn.body.token);
  }
  return {
    id: done.body.account.id,
    email,
    phone,
    name,
    password,
    token,
    deviceTokens,
    sessions,
    marker,
    items,
    photo,
  };
}

/** Asks for the deletion and confirms it with the code from the outbox, releasing the device locks. */
export async function confirmDeletion(base: string, dataDir: string, account: SpawnedAccount): Promise<void> {
  const seen = outboxFor(dataDir, account.email).length;
  const asked = await call(base, 'POST', '/v1/me/deletion', {
    token: account.token,
    body: { confirm: CONFIRMATION_SENTENCE, channel: 'email' },
  });
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const code = await nextCode(dataDir, account.email, seen);
  const confirmed = await call(base, 'POST', `/v1/me/deletion/${asked.body.id}/confirm`, {
    token: account.token,
    body: { code, releaseDevices: true },
  });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
}

/** Everything of the other account still works: sessions, device tokens, items and photos. */
export async function assertIntact(base: string, account: SpawnedAccount): Promise<void> {
  for (const token of [account.token, ...account.sessions])
    assert.equal((await call(base, 'GET', '/v1/me', { token })).status, 200);
  const summary = await call(base, 'GET', '/v1/cloud', { token: account.deviceTokens[0]! });
  assert.equal(summary.status, 200);
  const counted = Object.entries(summary.body.collections as Record<string, { count: number }>).reduce(
    (sum, [name, c]) => sum + (name === 'photos' ? 0 : c.count),
    0,
  );
  assert.equal(counted, account.items);
  const note = await call(base, 'GET', '/v1/cloud/notes/item-1', { token: account.token });
  assert.equal(note.body.data.text, `${account.marker} 1`);
  assert.ok((await call(base, 'GET', '/v1/cloud/photos/IMG_1', { token: account.token })).bytes.equals(account.photo));
  const signIn = await call(base, 'POST', '/v1/sessions', {
    body: { login: account.phone, password: account.password },
  });
  assert.equal(signIn.status, 201);
}
