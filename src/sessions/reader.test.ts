import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase, type DatabaseHandle } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { SessionRow } from '../db/schema.js';
import { SessionRepository } from './repository.js';

// A SQLite file, as `lanyard serve` opens it: session lookups go through the read-only connection.
describe('session lookups on the SQLite reader connection', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let sessions: SessionRepository;
  const session = (id: string, tokenHash: string): SessionRow => ({
    account_id: 'acct-1',
    id,
    token_hash: tokenHash,
    kind: 'api',
    created_at: 1,
    last_used_at: 1,
    expires_at: 2,
    reauthenticated_at: 1,
    origin_sealed: 'sealed',
  });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-reader-'));
    handle = openDatabase({ sqlitePath: path.join(dir, 'lanyard.db') });
    await migrateToLatest(handle.db);
    assert.ok(
      handle.sqliteReader && handle.sqliteReader !== handle.sqlite,
      'a file database has a reader connection of its own',
    );
    sessions = new SessionRepository(handle.db, handle.sqliteReader);
    await handle.db
      .insertInto('accounts')
      .values({
        id: 'acct-1',
        status: 'active',
        password_hash: 'x',
        role: 'user',
        locale: 'en',
        created_at: 1,
        updated_at: 1,
        password_changed_at: 1,
      })
      .execute();
  });
  after(async () => {
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('finds a committed session with its account, as the Kysely path finds it', async () => {
    await sessions.create(handle.db, session('s1', 'hash-1'));
    const found = await sessions.getByTokenHash('hash-1');
    const { token_hash: _hash, origin_sealed: _origin, ...needed } = session('s1', 'hash-1');
    assert.deepEqual(found?.session, needed);
    assert.deepEqual(found?.account, {
      id: 'acct-1',
      status: 'active',
      role: 'user',
      locale: 'en',
      created_at: 1,
      email_sealed: null,
      phone_sealed: null,
      name_sealed: null,
    });
    assert.equal(
      (found?.account as Record<string, unknown> | undefined)?.password_hash,
      undefined,
      'the password hash is not read on every request',
    );
    const viaKysely = await new SessionRepository(handle.db).getByTokenHash('hash-1');
    assert.deepEqual(found, viaKysely);
  });

  test('sees an ended session as gone at once, and never a session whose transaction has not committed', async () => {
    await sessions.create(handle.db, session('s2', 'hash-2'));
    assert.ok(await sessions.getByTokenHash('hash-2'));
    await handle.db.deleteFrom('sessions').where('id', '=', 's2').execute();
    assert.equal(await sessions.getByTokenHash('hash-2'), undefined);

    await handle.db.transaction().execute(async (trx) => {
      await sessions.create(trx, session('s3', 'hash-3'));
      assert.equal(await sessions.getByTokenHash('hash-3'), undefined, 'uncommitted');
    });
    assert.ok(await sessions.getByTokenHash('hash-3'), 'committed');
    assert.equal(await sessions.getByTokenHash('no-such-hash'), undefined);
  });
});
