import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createApp, type App } from '../app.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { CapturingTransport, TEST_POSTGRES_URL, testDatabases, uniqueEmail } from '../testing/test-app.js';
import { createTestSchema, dropTestSchema } from '../testing/pg-schema.js';
import { makeLargeJpeg } from './test-images.js';

/** Every file under a folder, recursively. */
function filesUnder(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** The files under the folder that contain the needle, as raw bytes. */
function filesContaining(folder: string, needle: Buffer): string[] {
  return filesUnder(folder).filter((file) => fs.readFileSync(file).includes(needle));
}

// This test needs the SQLite database as files in the data folder (WAL included), which the shared test
// app keeps in memory: it builds the real app itself, with the same fakes (clock, captured messages).
for (const database of testDatabases()) {
  describe(`cloud data at rest (${database})`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-at-rest-'));
    const schema = `test_${randomBytes(6).toString('hex')}`;
    const messages = new CapturingTransport();
    let app: App;
    let token: string;
    let accountId: string;
    const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
    const idCanary = `clear-id-${randomBytes(6).toString('hex')}`;
    let photo: Buffer;
    let photoRun: Buffer;

    const request = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const response = await app.http.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
      });
      return { status: response.statusCode, json: () => JSON.parse(response.body), raw: response.rawPayload };
    };

    before(async () => {
      if (database === 'postgres') {
        await createTestSchema(schema);
      }
      app = await createApp({
        config: loadConfig({
          LANYARD_DATA_DIR: dataDir,
          LANYARD_LOG_LEVEL: 'silent',
          LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0',
        }),
        clock: new ManualClock(Date.UTC(2026, 10, 25)),
        transport: messages,
        logger: false,
        database:
          database === 'postgres'
            ? { url: TEST_POSTGRES_URL, pgSchema: schema }
            : { sqlitePath: path.join(dataDir, 'lanyard.db') },
      });
      const email = uniqueEmail();
      await request('POST', '/v1/signup', { email });
      await app.jobs.runDue();
      const code = messages.lastCode(email);
      const done = await request('POST', '/v1/signup/complete', { email, code, password: 'a long unusual passphrase' });
      token = done.json().token;
      accountId = done.json().account.id;

      photo = await makeLargeJpeg(300_000);
      photoRun = photo.subarray(150_000, 150_048);
      for (const collection of ['contacts', 'notes', 'messages', 'app-data']) {
        assert.equal(
          (
            await request('PUT', `/v1/cloud/${collection}/${idCanary}-${collection}`, {
              text: `${marker} in ${collection}`,
            })
          ).status,
          200,
        );
        // An older version and a deleted item must leave nothing readable either.
        await request('PUT', `/v1/cloud/${collection}/replaced`, { text: `${marker} first version` });
        await request('PUT', `/v1/cloud/${collection}/replaced`, { text: 'second version' });
        await request('PUT', `/v1/cloud/${collection}/deleted`, { text: `${marker} soon deleted` });
        await request('DELETE', `/v1/cloud/${collection}/deleted`);
      }
      assert.equal(
        (await request('PUT', '/v1/cloud/photos/IMG_1', photo, { 'content-type': 'image/jpeg' })).status,
        200,
      );
      await app.jobs.runDue();
    });
    after(async () => {
      await app.close();
      if (database === 'postgres') await dropTestSchema(schema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('the owner reads everything back in clear through the API', async () => {
      assert.equal((await request('GET', `/v1/cloud/notes/${idCanary}-notes`)).json().data.text, `${marker} in notes`);
      assert.ok((await request('GET', '/v1/cloud/photos/IMG_1')).raw.equals(photo));
      assert.equal((await request('GET', '/v1/cloud/photos/IMG_1/thumbnail')).status, 200);
    });

    test('no file of the data folder (blobs, key ring, SQLite files and WAL) holds the marker, the photo bytes or the data key', async () => {
      const files = filesUnder(dataDir).map((f) => path.relative(dataDir, f));
      assert.ok(
        files.some((f) => f.startsWith(`blobs${path.sep}${accountId}`)),
        'the photo is in the blob folder',
      );
      assert.ok(files.includes('keyring.db'));
      if (database === 'sqlite') assert.ok(files.includes('lanyard.db-wal') || files.includes('lanyard.db'));
      // The scan does see the database: item ids are kept in clear, by design.
      if (database === 'sqlite') assert.notDeepEqual(filesContaining(dataDir, Buffer.from(idCanary)), []);

      assert.deepEqual(filesContaining(dataDir, Buffer.from(marker)), []);
      assert.deepEqual(filesContaining(dataDir, photoRun), []);
      const dataKey = await app.keyRing.get(accountId);
      assert.ok(dataKey);
      assert.deepEqual(filesContaining(dataDir, dataKey), [], 'the data key is only kept wrapped');
    });

    test('no text column of any table holds the marker', async () => {
      const hits: string[] = [];
      let sawCanary = false;
      if (database === 'postgres') {
        const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await client.connect();
        try {
          const columns = await client.query<{ table_name: string; column_name: string }>(
            `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
            [schema],
          );
          assert.ok(columns.rows.length > 20);
          for (const { table_name, column_name } of columns.rows) {
            const count = async (needle: string) =>
              Number(
                (
                  await client.query(
                    `SELECT count(*) AS n FROM ${schema}."${table_name}" WHERE position($1 in "${column_name}"::text) > 0`,
                    [needle],
                  )
                ).rows[0].n,
              );
            if ((await count(marker)) > 0) hits.push(`${table_name}.${column_name}`);
            if ((await count(idCanary)) > 0) sawCanary = true;
          }
        } finally {
          await client.end();
        }
      } else {
        const sqlite = app.database.sqlite!;
        const tables = sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{
          name: string;
        }>;
        assert.ok(tables.some((t) => t.name === 'cloud_items'));
        for (const { name } of tables) {
          const columns = sqlite.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as Array<{
            name: string;
            type: string;
          }>;
          for (const column of columns) {
            const count = (needle: string) =>
              (
                sqlite
                  .prepare(`SELECT count(*) AS n FROM "${name}" WHERE instr(CAST("${column.name}" AS TEXT), ?) > 0`)
                  .get(needle) as { n: number }
              ).n;
            if (count(marker) > 0) hits.push(`${name}.${column.name}`);
            if (count(idCanary) > 0) sawCanary = true;
          }
        }
      }
      assert.ok(sawCanary, 'the scan reaches the cloud tables');
      assert.deepEqual(hits, []);
    });

    test('a sealed photo altered on disk, or moved to another item, is refused rather than served', async () => {
      assert.equal(
        (await request('PUT', '/v1/cloud/photos/IMG_2', photo, { 'content-type': 'image/jpeg' })).status,
        200,
      );
      const folder = path.join(dataDir, 'blobs', accountId);
      const listed = (await request('GET', '/v1/cloud/photos')).json().items as Array<{ id: string }>;
      assert.deepEqual(
        listed.map((i) => i.id),
        ['IMG_1', 'IMG_2'],
      );
      const blobs = fs
        .readdirSync(folder)
        .filter((f) => !f.endsWith('.thumb'))
        .sort();
      assert.equal(blobs.length, 2);
      // UUIDv7 names sort by creation: the first is IMG_1's, the second IMG_2's.
      const [first, second] = blobs.map((b) => path.join(folder, b)) as [string, string];
      fs.copyFileSync(first, second);
      const moved = await request('GET', '/v1/cloud/photos/IMG_2');
      assert.equal(moved.status, 500, "IMG_1's sealed bytes do not open as IMG_2");
      assert.equal(moved.json().code, 'internal_error');
      const sealed = fs.readFileSync(first);
      const at = sealed.length - 100;
      sealed.writeUInt8(sealed.readUInt8(at) ^ 0xff, at);
      fs.writeFileSync(first, sealed);
      // The last chunk is altered: the download breaks off there instead of delivering altered bytes.
      await assert.rejects(request('GET', '/v1/cloud/photos/IMG_1'), /destroyed before completion/);
    });
  });
}
