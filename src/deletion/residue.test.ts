import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import {
  deleteAccount,
  filesContaining,
  filesUnder,
  populate,
  rowsOf,
  tablesContaining,
  type Populated,
} from './test-helpers.js';
import type { Api } from '../testing/api-types.js';

// No residue: after the erasure, neither the database (every column of every table, and on SQLite the
// files themselves: free pages, the WAL) nor any other file of the data folder (blobs, the key ring and
// its WAL, the tombstone log) holds the account's email, phone, name, item markers or photo bytes.
for (const database of testDatabases()) {
  describe(`no residue after erasure (${database})`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-residue-'));
    let t: TestApp;
    let victim: Populated;
    let other: Populated;
    let strings: string[];

    before(async () => {
      t = await createTestApp({
        database,
        dataDir,
        ...(database === 'sqlite' ? { sqlitePath: path.join(dataDir, 'lanyard.db') } : {}),
      });
      victim = await populate(t, { devices: 2, items: 5, photos: 2 });
      other = await populate(t, { devices: 1, items: 2, photos: 1 });
      // Replaced and deleted versions must leave nothing either.
      await t.request('PUT', '/v1/cloud/notes/item-0', {
        token: victim.account.token,
        body: { text: `${victim.needles.markers[5]} second version` },
      });
      await t.request('DELETE', '/v1/cloud/notes/item-1', { token: victim.account.token });
      await t.request('PATCH', '/v1/me', { token: victim.account.token, body: { name: victim.needles.name } });
      // An export waiting in the blob store, made from the data.
      assert.equal((await t.request('POST', '/v1/me/export', { token: victim.account.token })).status, 202);
      await t.drainJobs();
      strings = [victim.needles.email, victim.needles.phone, victim.needles.name, ...victim.needles.markers];
    });
    after(async () => {
      await t.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('before the deletion, the scans do reach the account (its id is in the tables and files)', async () => {
      assert.ok(
        filesUnder(path.join(dataDir, 'blobs', victim.account.id)).length >= 3,
        'photos, thumbnails and the export are in the blob store',
      );
      assert.notDeepEqual(await tablesContaining(t.app, [victim.account.id]), []);
      if (database === 'sqlite') assert.notDeepEqual(filesContaining(dataDir, [victim.account.id]), []);
    });

    test('after erasure no table and no file of the data folder holds anything of the account', async () => {
      await deleteAccount(t, victim.account, { releaseDevices: true });
      assert.deepEqual(await rowsOf(t.app, victim.account.id), {});
      assert.equal(fs.existsSync(path.join(dataDir, 'blobs', victim.account.id)), false);
      assert.deepEqual(await tablesContaining(t.app, [...strings, victim.account.id]), []);
      // Files are scanned while the server still runs: the WAL is as the erasure left it.
      const files = filesUnder(dataDir).map((f) => path.relative(dataDir, f));
      assert.ok(files.includes('keyring.db') && files.includes('tombstones.log'));
      if (database === 'sqlite') assert.ok(files.includes('lanyard.db'));
      // The account id is in clear in many rows: finding it nowhere proves the scan would see a leftover row,
      // a free page (secure_delete) or an old page image in the WAL (the checkpoint).
      assert.deepEqual(filesContaining(dataDir, [...strings, victim.account.id, victim.photoRun]), []);
    });

    test('the other account is still there, in the same files', async () => {
      assert.notDeepEqual(await tablesContaining(t.app, [other.account.id]), []);
      if (database === 'sqlite') assert.notDeepEqual(filesContaining(dataDir, [other.account.id]), []);
      const notes = await t.request<Api<'Changes'>>('GET', '/v1/cloud/notes', { token: other.account.token });
      assert.deepEqual(
        notes.body.items.map((i) => (i.data as { text: string }).text).sort(),
        other.needles.markers.filter((m) => m.includes('-notes-')).sort(),
      );
    });

    test('nothing comes back once the server has closed the database and its WAL', async () => {
      const masterKey = t.app.config.masterKey!.toString('hex');
      await t.close();
      assert.deepEqual(filesContaining(dataDir, [...strings, victim.account.id, victim.photoRun]), []);
      // Reopened on the same files, with the same master key as a restarted server, for after() to close again.
      t = await createTestApp({
        database,
        dataDir,
        env: { LANYARD_MASTER_KEY: masterKey },
        ...(database === 'sqlite' ? { sqlitePath: path.join(dataDir, 'lanyard.db') } : {}),
      });
    });
  });
}
