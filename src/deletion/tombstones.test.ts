import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { App } from '../app.js';
import { runCli, startServer } from '../testing/cli.js';
import { createKeyringDatabase, type KeyringDatabase } from '../testing/keyring-database.js';
import { createTestApp, testDatabases, type TestApp, type TestDatabase } from '../testing/test-app.js';
import { ERASED_ACCOUNT_ROWS } from '../app.js';
import { KEPT_TABLES } from './repository.js';
import { deleteAccount, populate, rowsOf, type Populated } from './test-helpers.js';
import type { Api, BearerSession } from '../testing/api-types.js';

// What a restored backup brings back: the account's rows as they were before the deletion.
const BACKED_UP = [
  'accounts',
  'cloud_accounts',
  'cloud_items',
  'devices',
  'device_locks',
  'device_commands',
  'sessions',
  'security_events',
  'known_clients',
] as const;

async function backUp(app: App, accountId: string): Promise<Array<[string, unknown[]]>> {
  const { db } = app.database;
  const copies: Array<[string, unknown[]]> = [];
  for (const table of BACKED_UP) {
    const column = table === 'accounts' ? 'id' : 'account_id';
    copies.push([
      table,
      await db
        .selectFrom(table as 'accounts')
        .selectAll()
        .where(column as 'id', '=', accountId)
        .execute(),
    ]);
  }
  return copies;
}

async function restore(app: App, copies: Array<[string, unknown[]]>): Promise<void> {
  for (const [table, rows] of copies) {
    if (rows.length > 0)
      await app.database.db
        .insertInto(table as 'accounts')
        .values(rows as never)
        .execute();
  }
}

// On PostgreSQL, also with the key ring and the tombstones in a database of their own (LANYARD_KEYRING_URL).
const setups = testDatabases().flatMap(
  (database): Array<{ database: TestDatabase; shared: boolean }> =>
    database === 'postgres'
      ? [
          { database, shared: false },
          { database, shared: true },
        ]
      : [{ database, shared: false }],
);
for (const { database, shared } of setups) {
  describe(`tombstones applied again (${database}${shared ? ', shared key ring database' : ''})`, () => {
    let t: TestApp;
    let keyring: KeyringDatabase | undefined;
    let victim: Populated;
    let other: Populated;
    let backup: Array<[string, unknown[]]>;
    before(async () => {
      keyring = shared ? await createKeyringDatabase() : undefined;
      t = await createTestApp({ database, ...(keyring ? { env: { LANYARD_KEYRING_URL: keyring.url } } : {}) });
      victim = await populate(t, { devices: 1, items: 2, photos: 1 });
      other = await populate(t, { devices: 1, items: 2, photos: 0 });
      backup = await backUp(t.app, victim.account.id);
      await deleteAccount(t, victim.account, { releaseDevices: true });
    });
    after(async () => {
      await t?.close();
      await keyring?.drop();
    });

    if (shared) {
      test('the tombstone is in the key ring database, not in the data folder', async () => {
        const logged = await t.app.tombstones.read();
        assert.deepEqual([...logged.keys()], [t.app.services.deletion.accountHash(victim.account.id)]);
        assert.match(t.app.tombstones.where, /key ring database/);
        assert.ok(!fs.existsSync(path.join(t.app.config.dataDir, 'tombstones.log')));
      });
    }

    test('every table with an account_id column is either erased or kept on purpose', async () => {
      const tables = await t.app.database.db.introspection.getTables();
      const withAccount = tables
        .filter((table) => table.columns.some((c) => c.name === 'account_id'))
        .map((table) => table.name);
      const erased = ERASED_ACCOUNT_ROWS.flatMap((rows) => rows.tables);
      const handled = new Set<string>([...erased, ...Object.keys(KEPT_TABLES)]);
      assert.deepEqual(
        withAccount.filter((name) => !handled.has(name)),
        [],
        'a table of account data the erasure does not know',
      );
    });

    test('a restored account is found and erased again; its data stayed unreadable meanwhile (the key was gone)', async () => {
      await restore(t.app, backup);
      const session = victim.sessions[0]!;
      // Restored rows authenticate (the account is active in the backup), but nothing sealed opens any more.
      const note = await t.request('GET', '/v1/cloud/notes/item-0', { token: session });
      assert.notEqual(note.status, 200);
      assert.ok(!note.text.includes(victim.needles.markers[2]!));
      const me = await t.request<Api<'Account'>>('GET', '/v1/me', { token: session });
      assert.ok(!me.text.includes(victim.account.email), 'the sealed email does not open either');

      const scan = await t.app.services.deletion.scan();
      assert.deepEqual(
        scan.revived.map((r) => r.accountId),
        [victim.account.id],
      );
      assert.deepEqual(await t.app.services.deletion.reapplyTombstones(), [victim.account.id]);
      assert.equal(
        (await t.request('GET', '/v1/me', { token: session })).status,
        401,
        'at once, before the erasure runs',
      );
      await t.drainJobs();
      assert.deepEqual(await rowsOf(t.app, victim.account.id), {});
      assert.deepEqual((await t.app.services.deletion.scan()).revived, []);
      const actions = await t.app.database.db
        .selectFrom('audit_records')
        .select('action')
        .where('subject', '=', t.app.services.deletion.accountHash(victim.account.id))
        .orderBy('at')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        actions.map((a) => a.action),
        ['account.deleted', 'account.erased', 'account.erased_again', 'account.erased'],
      );
    });

    test('the other account is neither reported nor touched', async () => {
      assert.equal((await t.request('GET', '/v1/me', { token: other.account.token })).status, 200);
      assert.deepEqual(await t.app.services.deletion.reapplyTombstones(), []);
      assert.ok((await rowsOf(t.app, other.account.id)).cloud_items! > 0);
    });
  });
}

// The real thing on SQLite: a database file restored from a backup taken before the deletion, with the
// data folder's tombstone log kept. `lanyard doctor` reports the account, `lanyard serve` erases it again.
describe('a restored SQLite backup and the command line', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-restore-'));
  const env = {
    LANYARD_DATA_DIR: dataDir,
    LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    LANYARD_LOG_LEVEL: 'warn',
  };
  const file = path.join(dataDir, 'lanyard.db');
  let victim: Populated;
  let other: Populated;
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('doctor exits non-zero while a deleted account exists again, and serve erases it again at start', async () => {
    let t = await createTestApp({ dataDir, sqlitePath: file, env });
    victim = await populate(t, { devices: 1, items: 2, photos: 1 });
    other = await populate(t, { devices: 1, items: 2, photos: 0 });
    await t.app.database.sqlite!.backup(path.join(dataDir, 'backup.db'));
    await deleteAccount(t, victim.account, { acknowledgeLockedDevices: true });
    await t.close();
    const clean = await runCli(['doctor'], env);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /No account that should not exist/);

    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
    fs.renameSync(path.join(dataDir, 'backup.db'), file);
    const report = await runCli(['doctor'], env);
    assert.equal(report.code, 1, report.stdout + report.stderr);
    assert.match(report.stdout, new RegExp(`${victim.account.id}: deleted at .* but present again`));
    assert.ok(!report.stdout.includes(other.account.id));

    const server = await startServer(env);
    try {
      for (let i = 0; i < 100; i++) {
        const signIn = await fetch(`${server.url}/v1/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ login: victim.account.id, password: victim.account.password }),
        });
        if (signIn.status === 401 && (await runCli(['doctor'], env)).code === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const otherSignIn = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: other.account.email, password: other.account.password }),
      });
      assert.equal(otherSignIn.status, 201);
    } finally {
      server.process.signal('SIGTERM');
      await server.process.exit();
    }
    const after = await runCli(['doctor'], env);
    assert.equal(after.code, 0, after.stdout);
    t = await createTestApp({ dataDir, sqlitePath: file, env });
    try {
      // The owner had chosen to keep the lock: the erasure applied again keeps it too.
      assert.deepEqual(await rowsOf(t.app, victim.account.id), { device_locks: 1 });
    } finally {
      await t.close();
    }
  });
});

describe('lanyard doctor --vacuum on SQLite', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-vacuum-'));
  const env = {
    LANYARD_DATA_DIR: dataDir,
    LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    LANYARD_LOG_LEVEL: 'warn',
  };
  const file = path.join(dataDir, 'lanyard.db');
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const onDisk = () =>
    Buffer.concat(
      fs
        .readdirSync(dataDir)
        .filter((f) => f.startsWith('lanyard.db') || f.startsWith('keyring.db'))
        .map((f) => fs.readFileSync(path.join(dataDir, f))),
    );

  test('rewrites the files so that deleted bytes left in them are gone, and the data stays', async () => {
    const t = await createTestApp({ dataDir, sqlitePath: file, env });
    const kept = await populate(t, { devices: 1, items: 2, photos: 0 });
    await t.close();
    // Leftovers as SQLite leaves them where secure_delete does not reach: a connection without it here.
    const marker = `leftover-${randomBytes(8).toString('hex')}`;
    const raw = new (await import('better-sqlite3')).default(file);
    raw.pragma('secure_delete = OFF');
    raw.exec(
      `CREATE TABLE scratch (note TEXT); INSERT INTO scratch VALUES ('${marker}'); DELETE FROM scratch; DROP TABLE scratch;`,
    );
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    assert.ok(onDisk().includes(marker), 'the deleted bytes are in the file before');

    const result = await runCli(['doctor', '--vacuum'], env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Vacuuming .*lanyard\.db/);
    assert.match(result.stdout, /Key ring compacted/);
    assert.ok(!onDisk().includes(marker), 'and gone after');

    const again = await createTestApp({ dataDir, sqlitePath: file, env });
    try {
      const signIn = await again.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: kept.account.email, password: kept.account.password },
      });
      assert.equal(signIn.status, 201, signIn.text);
      assert.equal((await again.request('GET', '/v1/cloud', { token: signIn.body.token })).status, 200);
    } finally {
      await again.close();
    }
    const wrong = await runCli(['doctor', '--vacuum', 'now'], env);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /doctor takes only --vacuum/);
  });
});
