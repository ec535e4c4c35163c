import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { PostgresTombstones, TombstoneLog } from '../deletion/tombstone-log.js';
import { createKeyringDatabase, type KeyringDatabase } from '../testing/keyring-database.js';
import { PostgresKeyRing } from './postgres-keyring.js';

/** Waits until the check holds, for at most two seconds (a notification crosses the database meanwhile). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(what);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// Two instances on one database stand for two processes on two machines (LANYARD_KEYRING_URL).
describe('the PostgreSQL key ring', () => {
  let database: KeyringDatabase;
  let a: PostgresKeyRing;
  let b: PostgresKeyRing;
  const master = randomBytes(32);
  before(async () => {
    database = await createKeyringDatabase();
    [a, b] = await Promise.all([
      PostgresKeyRing.open(database.url, master),
      PostgresKeyRing.open(database.url, master),
    ]);
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await database?.drop();
  });

  const query = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) =>
    (await a.pool.query<T>(text, params)).rows;

  test('every instance gets the same 256-bit key for an account, even when both create it at once', async () => {
    const [fromA, fromB] = await Promise.all([a.getOrCreate('account-1'), b.getOrCreate('account-1')]);
    assert.equal(fromA.length, 32);
    assert.ok(fromA.equals(fromB));
    assert.ok(!fromA.equals(await a.getOrCreate('account-2')));
    assert.equal(await b.get('account-never'), undefined);
  });

  test('keeps keys only wrapped by the master key: the table never holds a key, and another master key cannot open one', async () => {
    const key = await a.getOrCreate('account-3');
    const [row] = await query<{ wrapped: Buffer }>('SELECT wrapped FROM account_keys WHERE account_id = $1', [
      'account-3',
    ]);
    assert.ok(row && !row.wrapped.includes(key));
    const stranger = await PostgresKeyRing.open(database.url, randomBytes(32));
    try {
      await assert.rejects(stranger.get('account-3'));
    } finally {
      await stranger.close();
    }
  });

  test('a key destroyed through one instance leaves the cache of the other at once', async () => {
    const key = await a.getOrCreate('account-4');
    assert.ok((await b.get('account-4'))!.equals(key));
    assert.ok((await b.get('account-4'))!.equals(key), 'and b now holds it in memory');
    const cachedBefore = b.cachedKeys;
    await a.destroy('account-4');
    await eventually(async () => b.cachedKeys === cachedBefore - 1, 'b still holds the destroyed key in memory');
    assert.equal(await b.get('account-4'), undefined);
    assert.equal(await a.get('account-4'), undefined);
    assert.deepEqual(await query('SELECT account_id FROM account_keys WHERE account_id = $1', ['account-4']), []);
    assert.ok(await b.get('account-1'), 'other keys stay');
  });

  test('an instance that lost its notifications forgets every key and caches none until it listens again', async () => {
    await b.getOrCreate('account-5');
    assert.ok(b.cachedKeys > 0);
    // The listening connection is cut, as a network failure or a database restart would.
    await query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN lanyard_key_destroyed'",
    );
    await eventually(async () => b.cachedKeys === 0, 'b kept keys while it could miss notifications');
    await a.destroy('account-5');
    assert.equal(await b.get('account-5'), undefined);
    // Back on its feet, b caches again and hears destroyed keys again.
    await b.getOrCreate('account-6');
    await eventually(async () => {
      await b.get('account-6');
      return b.cachedKeys > 0;
    }, 'b did not listen again');
    await a.destroy('account-6');
    await eventually(async () => b.cachedKeys === 0, 'b still holds the key destroyed after it listened again');
  });

  test('tombstones are shared, keep the first entry of an account, and cannot be changed or removed', async () => {
    const one = new PostgresTombstones(a.pool, 'a');
    const two = new PostgresTombstones(b.pool, 'b');
    await one.append({ account: 'hash-1', deletedAt: '2026-12-01T00:00:00.000Z', releaseDevices: true });
    await two.append({ account: 'hash-1', deletedAt: '2026-12-02T00:00:00.000Z', releaseDevices: false });
    await two.append({ account: 'hash-2', deletedAt: '2026-12-03T00:00:00.000Z', releaseDevices: false });
    assert.deepEqual(
      [...(await one.read()).values()],
      [
        { account: 'hash-1', deletedAt: '2026-12-01T00:00:00.000Z', releaseDevices: true },
        { account: 'hash-2', deletedAt: '2026-12-03T00:00:00.000Z', releaseDevices: false },
      ],
    );
    await assert.rejects(
      query("UPDATE tombstones SET release_devices = false WHERE account_hash = 'hash-1'"),
      /append-only/,
    );
    await assert.rejects(query("DELETE FROM tombstones WHERE account_hash = 'hash-1'"), /append-only/);
    await assert.rejects(query('TRUNCATE tombstones'), /append-only/);
    assert.equal((await two.read()).size, 2);
  });

  test('the tombstones of a data folder join the shared ones once', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-tombstones-'));
    try {
      const file = new TombstoneLog(path.join(folder, 'tombstones.log'));
      await file.append({ account: 'hash-file', deletedAt: '2026-11-01T00:00:00.000Z', releaseDevices: false });
      await file.append({ account: 'hash-2', deletedAt: '2026-11-02T00:00:00.000Z', releaseDevices: true });
      const shared = new PostgresTombstones(a.pool, 'a');
      assert.equal(await shared.importFrom(file), 1);
      assert.equal(await shared.importFrom(file), 0);
      const read = await shared.read();
      assert.equal(read.get('hash-file')?.deletedAt, '2026-11-01T00:00:00.000Z');
      assert.equal(read.get('hash-2')?.deletedAt, '2026-12-03T00:00:00.000Z', 'the shared entry stays');
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('lanyard keys import-file', () => {
  test('copies the keys of the data folder into the key ring database, leaving out erased accounts; a second run changes nothing', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { FileKeyRing } = await import('./keyring.js');
    const { deriveServerKeys } = await import('./keys.js');
    const { hmac } = await import('./tokens.js');
    const { runCli, tempDataDir } = await import('../testing/cli.js');
    const master = randomBytes(32);
    const dataDir = tempDataDir();
    const database = await createKeyringDatabase();
    try {
      const file = new FileKeyRing(path.join(dataDir, 'keyring.db'), master);
      const kept = await file.getOrCreate('account-kept');
      const other = await file.getOrCreate('account-other');
      await file.getOrCreate('account-erased');
      await file.close();
      // An erasure whose key destroy did not reach the file (a crash) but whose tombstone did.
      await new TombstoneLog(path.join(dataDir, 'tombstones.log')).append({
        account: hmac(deriveServerKeys(master).lookup, 'tombstone', 'account-erased'),
        deletedAt: new Date().toISOString(),
        releaseDevices: false,
      });
      const env = {
        LANYARD_DATA_DIR: dataDir,
        LANYARD_MASTER_KEY: master.toString('hex'),
        LANYARD_KEYRING_URL: database.url,
      };

      const first = await runCli(['keys', 'import-file'], env);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(first.stdout, /Imported 2 key\(s\).*0 already there, 1 of erased accounts left out/);
      const ring = await PostgresKeyRing.open(database.url, master);
      try {
        assert.ok((await ring.get('account-kept'))!.equals(kept));
        assert.ok((await ring.get('account-other'))!.equals(other));
        assert.equal(await ring.get('account-erased'), undefined, 'no destroyed key comes back');
        assert.equal((await new PostgresTombstones(ring.pool, 'db').read()).size, 1, 'the tombstone came along');
      } finally {
        await ring.close();
      }
      const second = await runCli(['keys', 'import-file'], env);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /Imported 0 key\(s\).*2 already there/);
      const wrongKey = await runCli(['keys', 'import-file'], {
        ...env,
        LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
      });
      assert.notEqual(wrongKey.code, 0, 'keys wrapped by another master key are not copied');
      assert.match(wrongKey.stderr, /does not open with this LANYARD_MASTER_KEY/);
    } finally {
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
