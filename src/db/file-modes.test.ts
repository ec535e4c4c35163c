import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestApp } from '../testing/test-app.js';

// Issue 13, item 5: the SQLite database holds everyone's sessions and sealed data; like the key files it
// is readable by the server's user only, and so are the -wal and -shm files SQLite makes beside it.
// (PostgreSQL keeps its files itself: nothing of ours to check there.)

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('SQLite files are created 0600 (sqlite)', () => {
  test('the database, its -wal and its -shm are readable by their owner only, whatever the umask', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-modes-'));
    const previous = process.umask(0o022);
    try {
      const file = path.join(dataDir, 'lanyard.db');
      const t = await createTestApp({ dataDir, sqlitePath: file });
      try {
        await t.signUp();
        for (const name of [file, `${file}-wal`, `${file}-shm`]) {
          assert.ok(fs.existsSync(name), `${name} exists while the server runs`);
          assert.equal(modeOf(name).toString(8), '600', name);
        }
      } finally {
        await t.close();
      }
    } finally {
      process.umask(previous);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a database file left world-readable by an older version is tightened when the server opens it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-modes-'));
    const file = path.join(dataDir, 'lanyard.db');
    // The same server key both times, as a real restart has.
    const env = { LANYARD_MASTER_KEY: randomBytes(32).toString('hex') };
    try {
      const first = await createTestApp({ dataDir, sqlitePath: file, env });
      await first.signUp();
      await first.close();
      fs.chmodSync(file, 0o644);
      const second = await createTestApp({ dataDir, sqlitePath: file, env });
      try {
        assert.equal(modeOf(file).toString(8), '600');
        assert.equal(modeOf(`${file}-wal`).toString(8), '600');
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
