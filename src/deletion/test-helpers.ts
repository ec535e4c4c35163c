import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { App } from '../app.js';
import { makeLargeJpeg } from '../cloud/test-images.js';
import { linkDevice, type LinkedDevice } from '../devices/test-factories.js';
import { TEST_POSTGRES_URL, uniqueEmail, uniquePhone, type TestAccount, type TestApp } from '../testing/test-app.js';
import { CONFIRMATION_SENTENCE } from './service.js';
import type { Api, BearerSession } from '../testing/api-types.js';

export { CONFIRMATION_SENTENCE };
export const COLLECTIONS = ['contacts', 'notes', 'messages', 'app-data'] as const;

/** An account with everything a deletion must erase, and the strings that must not survive it. */
export interface Populated {
  account: TestAccount & { email: string; phone: string; name: string };
  devices: LinkedDevice[];
  /** Tokens of extra sessions (sign-ins), besides the sign-up's and the devices'. */
  sessions: string[];
  /** Strings that identify the account or its data: none may remain anywhere after erasure. */
  needles: { email: string; phone: string; name: string; markers: string[] };
  photo: Buffer;
  /** A run of the photo's bytes, long enough to be found nowhere else. */
  photoRun: Buffer;
}

/** Signs up an account with an email, a phone and a name, and fills it: devices, items, a photo, sessions. */
export async function populate(
  t: TestApp,
  options: { items?: number; devices?: number; photos?: number } = {},
): Promise<Populated> {
  const name = `Ana Tester ${randomBytes(4).toString('hex')}`;
  const email = uniqueEmail('doomed');
  const signed = await t.signUp({ email, name });
  const phone = uniquePhone();
  assert.equal((await t.request('POST', '/v1/me/phone', { token: signed.token, body: { phone } })).status, 202);
  await t.drainJobs();
  const confirmed = await t.request('POST', '/v1/me/phone/confirm', {
    token: signed.token,
    body: { phone, code: t.messages.lastCode(phone) },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  const account = { ...signed, email, phone, name };

  const devices: LinkedDevice[] = [];
  for (let i = 0; i < (options.devices ?? 2); i++)
    devices.push(await linkDevice(t, account, { name: `${name}'s phone ${i}` }));
  const markers: string[] = [];
  for (const collection of COLLECTIONS) {
    for (let i = 0; i < (options.items ?? 3); i++) {
      const marker = `MARKER-${collection}-${i}-${randomBytes(6).toString('hex')}`;
      markers.push(marker);
      const put = await t.request('PUT', `/v1/cloud/${collection}/item-${i}`, {
        token: devices[0]?.token ?? account.token,
        body: { text: marker },
      });
      assert.equal(put.status, 200, put.text);
    }
  }
  const photo = await makeLargeJpeg(60_000);
  for (let i = 0; i < (options.photos ?? 1); i++) {
    const put = await t.request('PUT', `/v1/cloud/photos/IMG_${i}`, {
      token: account.token,
      payload: photo,
      headers: { 'content-type': 'image/jpeg' },
    });
    assert.equal(put.status, 200, put.text);
  }
  const sessions: string[] = [];
  for (const login of [email, phone]) {
    const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
      body: { login, password: account.password },
    });
    assert.equal(signedIn.status, 201, signedIn.text);
    sessions.push(signedIn.body.token);
  }
  await t.drainJobs();
  return {
    account,
    devices,
    sessions,
    needles: { email, phone, name, markers },
    photo,
    photoRun: photo.subarray(30_000, 30_048),
  };
}

/** Asks for the deletion and returns the request and the code that reached the channel. */
export async function requestDeletion(
  t: TestApp,
  account: TestAccount & { email?: string; phone?: string },
  channel: 'email' | 'sms' = 'email',
) {
  const response = await t.request<Api<'DeletionRequested'>>('POST', '/v1/me/deletion', {
    token: account.token,
    body: { confirm: CONFIRMATION_SENTENCE, channel },
  });
  assert.equal(response.status, 202, response.text);
  await t.drainJobs();
  const code = t.messages.lastCode(channel === 'email' ? account.email! : account.phone!);
  return { id: response.body.id as string, code, body: response.body };
}

/** Requests and confirms a deletion, then runs the erasure to its end. */
export async function deleteAccount(
  t: TestApp,
  account: TestAccount & { email?: string },
  flags: { releaseDevices?: boolean; acknowledgeLockedDevices?: boolean } = { releaseDevices: true },
) {
  const { id, code } = await requestDeletion(t, account);
  const confirmed = await t.request<Api<'DeletionConfirmed'>>('POST', `/v1/me/deletion/${id}/confirm`, {
    token: account.token,
    body: { code, ...flags },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  await t.drainJobs();
  return confirmed.body;
}

/** Every file under a folder, recursively. */
export function filesUnder(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Which needles occur in which files of the folder (raw bytes, so also inside SQLite pages and the WAL). */
export function filesContaining(
  folder: string,
  needles: Array<string | Buffer>,
  ignore: (file: string) => boolean = () => false,
): string[] {
  const hits: string[] = [];
  for (const file of filesUnder(folder)) {
    if (ignore(file)) continue;
    const bytes = fs.readFileSync(file);
    for (const needle of needles) {
      const raw = Buffer.isBuffer(needle) ? needle : Buffer.from(needle);
      if (bytes.includes(raw))
        hits.push(`${path.relative(folder, file)}: ${Buffer.isBuffer(needle) ? '<photo bytes>' : needle}`);
    }
  }
  return hits;
}

/** Which needles occur in which columns of any table (every column, cast to text). */
export async function tablesContaining(app: App, needles: string[], pgSchema?: string): Promise<string[]> {
  const hits: string[] = [];
  if (app.database.dialect === 'postgres') {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      const schema =
        pgSchema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(app.database.db)).rows[0]!.s;
      const columns = await client.query<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1`,
        [schema],
      );
      assert.ok(columns.rows.length > 20, 'the scan sees the tables');
      for (const { table_name, column_name } of columns.rows) {
        for (const needle of needles) {
          const found = await client.query(
            `SELECT 1 FROM "${schema}"."${table_name}" WHERE position($1 in "${column_name}"::text) > 0 LIMIT 1`,
            [needle],
          );
          if (found.rows.length > 0) hits.push(`${table_name}.${column_name}: ${needle}`);
        }
      }
    } finally {
      await client.end();
    }
    return hits;
  }
  const sqlite = app.database.sqlite!;
  const tables = sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>;
  assert.ok(tables.length > 10, 'the scan sees the tables');
  for (const { name } of tables) {
    const columns = sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>;
    for (const column of columns) {
      for (const needle of needles) {
        const found = sqlite
          .prepare(`SELECT 1 FROM "${name}" WHERE instr(CAST("${column.name}" AS TEXT), ?) > 0 LIMIT 1`)
          .get(needle);
        if (found) hits.push(`${name}.${column.name}: ${needle}`);
      }
    }
  }
  return hits;
}

/** Rows left in any table with an account_id column for the account (device locks count too). */
export async function rowsOf(app: App, accountId: string): Promise<Record<string, number>> {
  const { db } = app.database;
  const counts: Record<string, number> = {};
  // On PostgreSQL the introspection lists every schema's tables: other test files' schemas are not this app's.
  const schema =
    app.database.dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  for (const table of await db.introspection.getTables()) {
    if (schema !== undefined && table.schema !== schema) continue;
    if (!table.columns.some((c) => c.name === 'account_id') && table.name !== 'accounts') continue;
    const column = table.name === 'accounts' ? 'id' : 'account_id';
    const row = await db
      .selectFrom(table.name as 'accounts')
      .select((eb) => eb.fn.countAll().as('n'))
      .where(column as 'id', '=', accountId)
      .executeTakeFirst();
    const n = Number(row?.n ?? 0);
    if (n > 0) counts[table.name] = n;
  }
  return counts;
}
