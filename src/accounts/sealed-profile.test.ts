import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { uuidv7 } from 'uuidv7';
import { hashPassword } from '../crypto/passwords.js';
import { deriveServerKeys } from '../crypto/keys.js';
import { hmac, sha256 } from '../crypto/tokens.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { linkDevice } from '../devices/test-factories.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { createTestSchema, dropTestSchema } from '../testing/pg-schema.js';
import {
  createTestApp,
  TEST_POSTGRES_URL,
  testDatabases,
  uniqueEmail,
  uniquePhone,
  type TestAccount,
  type TestApp,
  type TestDatabase,
} from '../testing/test-app.js';
import { maskEmail } from './addresses.js';

/** Every file under a folder, recursively. */
function filesUnder(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** For each needle found, where: `file:<name>` for a file of the data folder. */
function filesContaining(folder: string, needles: string[]): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(folder)) {
    const bytes = fs.readFileSync(file);
    for (const needle of needles)
      if (bytes.includes(Buffer.from(needle))) hits.push(`${path.relative(folder, file)}: ${needle}`);
  }
  return hits;
}

/** For each needle found, the table and column of a text column that holds it. */
async function columnsContaining(
  t: TestApp,
  schema: string | undefined,
  needles: string[],
): Promise<{ hits: string[]; columns: number }> {
  const hits: string[] = [];
  let columns = 0;
  if (schema) {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const found = await client.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
        [schema],
      );
      for (const { table_name, column_name } of found.rows) {
        columns += 1;
        for (const needle of needles) {
          const { rows } = await client.query(
            `SELECT count(*) AS n FROM ${schema}."${table_name}" WHERE position($1 in "${column_name}"::text) > 0`,
            [needle],
          );
          if (Number(rows[0].n) > 0) hits.push(`${table_name}.${column_name}: ${needle}`);
        }
      }
    } finally {
      await client.end();
    }
    return { hits, columns };
  }
  const sqlite = t.app.database.sqlite!;
  const tables = sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
  for (const { name } of tables) {
    for (const column of sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>) {
      columns += 1;
      for (const needle of needles) {
        const { n } = sqlite
          .prepare(`SELECT count(*) AS n FROM "${name}" WHERE instr(CAST("${column.name}" AS TEXT), ?) > 0`)
          .get(needle) as { n: number };
        if (n > 0) hits.push(`${name}.${column.name}: ${needle}`);
      }
    }
  }
  return { hits, columns };
}

/**
 * A test app whose SQLite database is a file in the data folder (WAL included), or a PostgreSQL schema
 * that this test names, so that it can scan them, and reopen them as a restarted server would.
 */
class OnDisk {
  readonly dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-sealed-'));
  readonly schema: string | undefined;
  readonly masterKey = randomBytes(32).toString('hex');

  constructor(readonly database: TestDatabase) {
    this.schema = database === 'postgres' ? `test_${randomBytes(6).toString('hex')}` : undefined;
  }

  async start(): Promise<TestApp> {
    if (this.schema) await createTestSchema(this.schema);
    return createTestApp({
      database: this.database,
      dataDir: this.dataDir,
      env: { LANYARD_MASTER_KEY: this.masterKey },
      ...(this.schema ? { pgSchema: this.schema } : { sqlitePath: path.join(this.dataDir, 'lanyard.db') }),
    });
  }

  async remove(): Promise<void> {
    if (this.schema) await dropTestSchema(this.schema);
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function changePhone(t: TestApp, account: TestAccount, phone: string): Promise<void> {
  assert.equal((await t.request('POST', '/v1/me/phone', { token: account.token, body: { phone } })).status, 202);
  await t.drainJobs();
  const confirmed = await t.request('POST', '/v1/me/phone/confirm', {
    token: account.token,
    body: { phone, code: t.messages.lastCode(phone) },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
}

for (const database of testDatabases()) {
  describe(`sealed profile at rest (${database})`, () => {
    const disk = new OnDisk(database);
    let t: TestApp;
    let account: TestAccount;
    const email = uniqueEmail('sealed');
    const firstPhone = uniquePhone();
    const phone = uniquePhone();
    const name = `Zoraida Quintanilla ${randomBytes(4).toString('hex')}`;
    const deviceName = `${name}'s phone`;
    const location = { lat: 40.41677123, lon: -3.70379456, accuracy: 12.5 };
    let deviceId: string;
    let serial: string;
    // Where the owner signs in from: an IP address and a client (user agent) are personal data too.
    const origin = {
      ip: `203.0.113.${10 + (randomBytes(1)[0]! % 200)}`,
      client: `Zoraida-Browser/${randomBytes(4).toString('hex')}`,
    };
    let originToken: string;

    before(async () => {
      t = await disk.start();
      account = await t.signUp({ email, name });
      await changePhone(t, account, firstPhone);
      await changePhone(t, account, phone);
      const device = await linkDevice(t, account, { name: deviceName });
      deviceId = device.id;
      serial = device.serial;
      const sent = await t.request<Api<'CommandCreated'>>('POST', `/v1/devices/${device.id}/commands`, {
        token: account.token,
        body: { type: 'locate' },
      });
      assert.equal(sent.status, 202, sent.text);
      const answered = await t.request('POST', `/v1/device/commands/${sent.body.command.id}/result`, {
        token: device.token,
        body: { status: 'done', location },
      });
      assert.equal(answered.status, 204, answered.text);
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: email, password: account.password },
        ip: origin.ip,
        headers: { 'user-agent': origin.client },
      });
      assert.equal(signedIn.status, 201, signedIn.text);
      originToken = signedIn.body.token;
      await t.drainJobs();
    });
    after(async () => {
      await t.close();
      await disk.remove();
    });

    test('the owner reads the email, phone, name, device name and location in clear through the API', async () => {
      const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token });
      assert.equal(me.status, 200);
      assert.deepEqual({ email: me.body.email, phone: me.body.phone, name: me.body.name }, { email, phone, name });
      const device = await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${deviceId}`, { token: account.token });
      assert.equal(device.body.name, deviceName);
      assert.deepEqual(device.body.lastLocation, { ...location, at: new Date(t.clock.now()).toISOString() });
      assert.equal(
        (await t.request<Api<'DeviceList'>>('GET', '/v1/devices', { token: account.token })).body.devices[0]?.name,
        deviceName,
      );
      const hint = await t.request<Api<'Activation'>>('GET', `/v1/activation/${serial}`, { ip: '10.77.0.1' });
      assert.equal(hint.body.ownerHint, maskEmail(email));
    });

    test('the owner sees the IP address and client of sessions and security events through the API', async () => {
      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: originToken });
      const current = sessions.body.sessions.find((s: Api<'Session'>) => s.current);
      assert.ok(current);
      assert.deepEqual({ ip: current.ip, client: current.client }, origin);
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: originToken })).body
        .events;
      const fromOrigin = events
        .filter((e: Api<'SecurityEvent'>) => e.client === origin.client)
        .map((e: Api<'SecurityEvent'>) => [e.type, e.ip])
        .sort();
      assert.deepEqual(fromOrigin, [
        ['sign_in', origin.ip],
        ['sign_in.new_client', origin.ip],
      ]);
      const rows = await t.app.database.db
        .selectFrom('sessions')
        .select(['origin_sealed'])
        .where('account_id', '=', account.id)
        .execute();
      assert.ok(
        rows.every((row) => row.origin_sealed),
        'stored sealed',
      );
    });

    test('signs in by email and by the current phone, and no longer by the replaced phone', async () => {
      for (const login of [email, phone]) {
        const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login, password: account.password },
        });
        assert.equal(signedIn.status, 201, `${login}: ${signedIn.text}`);
        assert.equal(signedIn.body.account.name, name);
      }
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: firstPhone, password: account.password } })).status,
        401,
      );
    });

    test('no text column of any table holds the email, either phone, the name or the location in clear', async () => {
      const { hits, columns } = await columnsContaining(t, disk.schema, [
        email,
        firstPhone,
        phone,
        name,
        String(location.lat),
        String(location.lon),
        origin.ip,
        origin.client,
      ]);
      assert.ok(columns > 40, `the scan reaches every table (${columns} columns)`);
      assert.deepEqual(hits, []);
      const row = await t.app.database.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        ['email', 'phone', 'name'].filter((column) => column in row),
        [],
        'no plaintext column is left',
      );
      assert.ok(row.email_sealed && row.phone_sealed && row.name_sealed, 'the sealed columns hold them');
    });

    test('no file of the data folder (database, WAL, key ring) holds them either', async () => {
      const files = filesUnder(disk.dataDir).map((file) => path.relative(disk.dataDir, file));
      assert.ok(files.includes('keyring.db'));
      if (database === 'sqlite') {
        assert.ok(files.includes('lanyard.db'));
        // The scan does read the database: ids are kept in clear, by design.
        assert.notDeepEqual(filesContaining(disk.dataDir, [account.id]), []);
      }
      assert.deepEqual(
        filesContaining(disk.dataDir, [
          email,
          firstPhone,
          phone,
          name,
          String(location.lat),
          String(location.lon),
          origin.ip,
          origin.client,
        ]),
        [],
      );
    });

    test('a sealed value moved to another field or another account does not open', async () => {
      const { db } = t.app.database;
      const other = await t.signUp({ name: 'Someone Else' });
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
      const otherRow = await db.selectFrom('accounts').selectAll().where('id', '=', other.id).executeTakeFirstOrThrow();
      // Written behind the app's back, as an attacker with the database would: on PostgreSQL the app hears of
      // the change by NOTIFY a few milliseconds later, and until then may answer from its session cache.
      const statusOnceHeard = async () => {
        const deadline = Date.now() + 5000;
        for (;;) {
          const { status } = await t.request('GET', '/v1/me', { token: account.token });
          if (status !== 200 || Date.now() > deadline) return status;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      try {
        await db.updateTable('accounts').set({ name_sealed: row.email_sealed }).where('id', '=', account.id).execute();
        assert.equal(await statusOnceHeard(), 500, 'the email does not open as the name');
        await db
          .updateTable('accounts')
          .set({ name_sealed: row.name_sealed, email_sealed: otherRow.email_sealed })
          .where('id', '=', account.id)
          .execute();
        assert.equal(await statusOnceHeard(), 500, "another account's email does not open here");
      } finally {
        await db
          .updateTable('accounts')
          .set({ email_sealed: row.email_sealed, name_sealed: row.name_sealed })
          .where('id', '=', account.id)
          .execute();
      }
      assert.equal((await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.email, email);
    });

    test("once the account's data key is destroyed, its email, phone and name read as gone, at once", async () => {
      const doomed = await t.signUp({ email: uniqueEmail('doomed'), name: 'Doomed Person' });
      await changePhone(t, doomed, uniquePhone());
      assert.equal(
        (await t.request<Api<'Account'>>('GET', '/v1/me', { token: doomed.token })).body.name,
        'Doomed Person',
      );
      await t.app.keyRing.destroy(doomed.id);
      const profile = await t.app.services.accounts.getProfile(doomed.id);
      assert.deepEqual([profile.email, profile.phone, profile.name], [null, null, null]);
      assert.equal(
        (await t.request<Api<'Account'>>('GET', '/v1/me', { token: account.token })).body.name,
        name,
        'other accounts are untouched',
      );
    });
  });

  describe(`the migration that seals what is left and drops the plaintext columns (${database})`, () => {
    const disk = new OnDisk(database);
    let t: TestApp;
    const legacy = {
      id: uuidv7(),
      email: uniqueEmail('legacy'),
      phone: uniquePhone(),
      name: `Legacy Person ${randomBytes(3).toString('hex')}`,
      password: 'an old but long passphrase',
    };
    const legacyDevice = {
      id: uuidv7(),
      name: `${legacy.name}'s tablet`,
      location: { lat: 41.38791234, lon: 2.16991234, accuracy: 8, at: Date.UTC(2026, 10, 20) },
    };
    const legacySession = {
      id: uuidv7(),
      token: randomBytes(32).toString('base64url'),
      ip: '198.51.100.201',
      client: `Old-Browser/${randomBytes(3).toString('hex')}`,
    };
    const legacyEvent = { id: uuidv7(), ip: '198.51.100.202', client: `Old-Phone/${randomBytes(3).toString('hex')}` };
    const more = [0, 1, 2].map(() => ({
      id: uuidv7(),
      email: uniqueEmail('batch'),
      name: `Batch ${randomBytes(3).toString('hex')}`,
    }));
    const erasing = { id: uuidv7(), email: uniqueEmail('erasing'), name: `Erasing ${randomBytes(3).toString('hex')}` };

    /**
     * The database as the version before the migration left it, with rows that the backfill it replaces had
     * not sealed yet: email, phone, name, device name and location, IP addresses and clients in clear.
     */
    async function writeOlderDatabase(): Promise<void> {
      if (disk.schema) await createTestSchema(disk.schema);
      const handle = openDatabase(
        disk.schema
          ? { url: TEST_POSTGRES_URL, pgSchema: disk.schema, poolSize: 2 }
          : { sqlitePath: path.join(disk.dataDir, 'lanyard.db') },
      );
      try {
        await migrateToLatest(handle.db, { upTo: '2026-12-07-staff' });
        // The columns this test writes are gone from the application's types: the older schema is untyped.
        const db = handle.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
        const lookupKey = deriveServerKeys(Buffer.from(disk.masterKey, 'hex')).lookup;
        const now = Date.now();
        const account = async (fields: { id: string; email: string; phone?: string; name: string }, status: string) =>
          db
            .insertInto('accounts')
            .values({
              id: fields.id,
              status,
              email: fields.email,
              email_lookup: hmac(lookupKey, 'email', fields.email),
              phone: fields.phone ?? null,
              phone_lookup: fields.phone ? hmac(lookupKey, 'phone', fields.phone) : null,
              name: fields.name,
              password_hash: await hashPassword(legacy.password),
              role: 'user',
              locale: 'en',
              created_at: now,
              updated_at: now,
              password_changed_at: now,
            })
            .execute();
        await account(legacy, 'active');
        for (const other of more) await account(other, 'active');
        await account(erasing, 'erasing');
        for (const [accountId, deviceId, name] of [
          [legacy.id, legacyDevice.id, legacyDevice.name],
          [erasing.id, uuidv7(), `${erasing.name}'s phone`],
        ] as const)
          await db
            .insertInto('devices')
            .values({
              account_id: accountId,
              id: deviceId,
              serial_lookup: `legacy-serial-${randomBytes(4).toString('hex')}`,
              serial_hint: 'AB12',
              model: 'Redmi Pad',
              name,
              kind: 'tablet',
              session_id: null,
              linked_at: now,
              last_seen_at: now,
              last_location: JSON.stringify(legacyDevice.location),
            })
            .execute();
        for (const [accountId, id, token] of [
          [legacy.id, legacySession.id, legacySession.token],
          [erasing.id, uuidv7(), randomBytes(32).toString('base64url')],
        ] as const)
          await db
            .insertInto('sessions')
            .values({
              account_id: accountId,
              id,
              token_hash: sha256(token),
              kind: 'api',
              created_at: now,
              last_used_at: now,
              expires_at: now + 86_400_000,
              reauthenticated_at: now,
              ip: legacySession.ip,
              client: legacySession.client,
            })
            .execute();
        await db
          .insertInto('security_events')
          .values({
            account_id: legacy.id,
            id: legacyEvent.id,
            type: 'sign_in',
            at: now,
            ip: legacyEvent.ip,
            client: legacyEvent.client,
          })
          .execute();
        await assert.rejects(
          migrateToLatest(handle.db),
          /needs the key ring/,
          'without the key ring it refuses to drop what it cannot seal',
        );
      } finally {
        await handle.close();
      }
    }

    before(async () => {
      await writeOlderDatabase();
      // The server starts on the older database and migrates it with its key ring.
      t = await disk.start();
    });
    after(async () => {
      await t.close();
      await disk.remove();
    });

    test('seals the email, phone and name, drops their plaintext columns, and the profile stays readable', async () => {
      const row = await t.app.database.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', legacy.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        ['email', 'phone', 'name'].filter((column) => column in row),
        [],
      );
      assert.ok(row.email_sealed && row.phone_sealed && row.name_sealed);
      assert.ok(await t.app.keyRing.get(legacy.id), 'the account got its data key');
      const { hits } = await columnsContaining(t, disk.schema, [
        legacy.email,
        legacy.phone,
        legacy.name,
        String(legacyDevice.location.lat),
        ...more.flatMap((other) => [other.email, other.name]),
        erasing.email,
        erasing.name,
      ]);
      assert.deepEqual(hits, []);

      for (const login of [legacy.email, legacy.phone]) {
        const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
          body: { login, password: legacy.password },
        });
        assert.equal(signedIn.status, 201, signedIn.text);
        const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token: signedIn.body.token });
        assert.deepEqual(
          { email: me.body.email, phone: me.body.phone, name: me.body.name },
          { email: legacy.email, phone: legacy.phone, name: legacy.name },
        );
      }
      for (const other of more) {
        const found = await t.app.services.accounts.findByLogin({ kind: 'email', value: other.email });
        assert.deepEqual([found?.email, found?.name], [other.email, other.name]);
      }
    });

    test("seals a device's name and location, drops the name's column, and the owner still reads them", async () => {
      const row = await t.app.database.db
        .selectFrom('devices')
        .selectAll()
        .where('id', '=', legacyDevice.id)
        .executeTakeFirstOrThrow();
      assert.equal('name' in row, false);
      assert.ok(row.name_sealed);
      assert.ok(row.last_location && !row.last_location.startsWith('{'));
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: legacy.email, password: legacy.password },
      });
      const device = await t.request<Api<'DeviceDetail'>>('GET', `/v1/devices/${legacyDevice.id}`, {
        token: signedIn.body.token,
      });
      assert.equal(device.status, 200, device.text);
      assert.equal(device.body.name, legacyDevice.name);
      const { at, ...place } = legacyDevice.location;
      assert.deepEqual(device.body.lastLocation, { ...place, at: new Date(at).toISOString() });
    });

    test('seals the IP addresses and clients of sessions and events, and the owner still reads them', async () => {
      const { hits } = await columnsContaining(t, disk.schema, [
        legacySession.ip,
        legacySession.client,
        legacyEvent.ip,
        legacyEvent.client,
      ]);
      assert.deepEqual(hits, []);
      const sessions = await t.request<Api<'SessionList'>>('GET', '/v1/sessions', { token: legacySession.token });
      assert.equal(sessions.status, 200, sessions.text);
      const current = sessions.body.sessions.find((s: Api<'Session'>) => s.current);
      assert.ok(current);
      assert.deepEqual(
        { id: current.id, ip: current.ip, client: current.client },
        { id: legacySession.id, ip: legacySession.ip, client: legacySession.client },
      );
      const events = (await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: legacySession.token }))
        .body.events;
      const event = events.find((e: Api<'SecurityEvent'>) => e.id === legacyEvent.id);
      assert.ok(event);
      assert.deepEqual({ ip: event.ip, client: event.client }, { ip: legacyEvent.ip, client: legacyEvent.client });
    });

    test('runs once, and drops the plaintext of an account being erased without making it a new key', async () => {
      assert.deepEqual(await migrateToLatest(t.app.database.db), [], 'a restart finds nothing left to run');
      const gone = await t.app.database.db
        .selectFrom('accounts')
        .selectAll()
        .where('id', '=', erasing.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual([gone.email_sealed, gone.name_sealed], [null, null]);
      assert.equal(await t.app.keyRing.get(erasing.id), undefined, 'no new key was made for an account being erased');
    });
  });
}
