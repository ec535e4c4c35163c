import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FileKeyRing } from './keyring.js';

describe('the file key ring', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-keyring-'));
  const file = path.join(folder, 'keyring.db');
  const master = randomBytes(32);
  after(() => fs.rmSync(folder, { recursive: true, force: true }));

  /** The bytes of the key ring's files on disk, WAL included. */
  const onDisk = () => Buffer.concat(fs.readdirSync(folder).map((f) => fs.readFileSync(path.join(folder, f))));

  test('creates one 256-bit key per account, returns the same key on every call and after a restart', async () => {
    const ring = new FileKeyRing(file, master);
    const [a, again] = await Promise.all([ring.getOrCreate('account-a'), ring.getOrCreate('account-a')]);
    assert.equal(a.length, 32);
    assert.ok(a.equals(again));
    const b = await ring.getOrCreate('account-b');
    assert.ok(!a.equals(b));
    assert.equal(await ring.get('account-never'), undefined);
    await ring.close();
    const reopened = new FileKeyRing(file, master);
    assert.ok((await reopened.get('account-a'))!.equals(a));
    assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
    await reopened.close();
  });

  test('keeps keys only wrapped: the file never holds a key itself, and another master key cannot open them', async () => {
    const ring = new FileKeyRing(file, master);
    const key = await ring.getOrCreate('account-c');
    assert.ok(!onDisk().includes(key));
    await ring.close();
    const stranger = new FileKeyRing(file, randomBytes(32));
    await assert.rejects(stranger.get('account-c'));
    await stranger.close();
  });

  test('destroy removes the wrapped key from the file and its WAL, for good', async () => {
    const ring = new FileKeyRing(file, master);
    await ring.getOrCreate('account-d');
    const sqlite = (ring as unknown as { sqlite: import('better-sqlite3').Database }).sqlite;
    const wrapped = (
      sqlite.prepare('SELECT wrapped FROM account_keys WHERE account_id = ?').get('account-d') as { wrapped: Buffer }
    ).wrapped;
    assert.ok(onDisk().includes(wrapped), 'the wrapped key is on disk before');
    await ring.destroy('account-d');
    assert.equal(await ring.get('account-d'), undefined);
    assert.ok(!onDisk().includes(wrapped), 'and gone after, from the database file and the WAL');
    assert.equal(fs.statSync(`${file}-wal`).size, 0);
    assert.ok(await ring.get('account-a'), 'other keys stay');
    await ring.close();
  });

  test('holds at most the configured number of unwrapped keys in memory', async () => {
    const ring = new FileKeyRing(file, master, { cacheSize: 3 });
    const keys = new Map<string, Buffer>();
    for (let i = 0; i < 10; i++) keys.set(`account-lru-${i}`, await ring.getOrCreate(`account-lru-${i}`));
    assert.equal(ring.cachedKeys, 3);
    for (const [id, key] of keys)
      assert.ok((await ring.get(id))!.equals(key), 'evicted keys are read back from the file');
    await ring.close();
  });
});
