import assert from 'node:assert/strict';
import SqliteDatabase from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { call } from '../deletion/spawned.js';
import { nextCode } from '../testing/outbox.js';
import { createCliDatabase, startServer, tempDataDir, type RunningServer } from '../testing/cli.js';
import { testDatabases, uniqueEmail, type TestDatabase } from '../testing/test-app.js';

// A job that took its process down twice is not started a third time (src/jobs/repository.ts,
// failAbandoned). Here through the real thing: `lanyard serve` spawned, an export asked for, the server
// killed with SIGKILL while the export job runs, twice, then started a third time. Nothing is faked:
// the export is slow because the account holds a lot of cloud data, and it is caught running by the
// temporary file the blob store writes the zip to (`<data>/blobs/<account>/.tmp-*`, DiskBlobStore.put),
// which appears the moment the job starts. A short lease (LANYARD_JOB_LEASE_S, a real setting) lets each
// restarted worker take the job back within seconds.

const LEASE_S = 2;
/** Items of cloud data: enough that making the zip takes far longer than noticing that it started. */
const BATCHES = 4;
const ITEMS_PER_BATCH = 1000;
const ITEM_TEXT_BYTES = 6000;

interface JobState {
  attempts: number;
  unfinished_starts: number;
  failed_at: number | null;
  last_error: string | null;
}

/** Reads the export job's row while no server runs (SQLite from a copy, so the next start finds the crash as it was). */
function jobReader(
  database: TestDatabase,
  dataDir: string,
  databaseUrl: string | undefined,
): (exportId: string) => Promise<JobState> {
  const query = `SELECT attempts, unfinished_starts, failed_at, last_error FROM jobs WHERE kind = 'cloud.export' AND payload LIKE $1`;
  if (database === 'postgres') {
    return async (exportId) => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query(query, [`%${exportId}%`]);
        assert.equal(rows.length, 1, 'one job for the export');
        const row = rows[0];
        return {
          attempts: Number(row.attempts),
          unfinished_starts: Number(row.unfinished_starts),
          failed_at: row.failed_at === null ? null : Number(row.failed_at),
          last_error: row.last_error,
        };
      } finally {
        await client.end();
      }
    };
  }
  return async (exportId) => {
    const copy = fs.mkdtempSync(path.join(dataDir, '..', 'lanyard-export-crash-copy-'));
    try {
      for (const suffix of ['', '-wal']) {
        const file = path.join(dataDir, `lanyard.db${suffix}`);
        if (fs.existsSync(file)) fs.copyFileSync(file, path.join(copy, `lanyard.db${suffix}`));
      }
      const sqlite = new SqliteDatabase(path.join(copy, 'lanyard.db'), { fileMustExist: true });
      try {
        const rows = sqlite.prepare(query.replace('$1', '?')).all(`%${exportId}%`) as JobState[];
        assert.equal(rows.length, 1, 'one job for the export');
        return rows[0]!;
      } finally {
        sqlite.close();
      }
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  };
}

/** What GET /v1/me/export/{id} answers, as far as this test reads it. */
interface ExportStatus {
  status: 'pending' | 'ready' | 'failed' | 'expired';
  error: string | null;
  download: string | null;
  size: number | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of testDatabases()) {
  describe(`a job that took the server down twice (${database})`, () => {
    test('an export killed twice mid-job is not started a third time: it shows failed, and a new export completes', {
      timeout: 115_000,
    }, async (t) => {
      const started = performance.now();
      const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
      const dataDir = tempDataDir();
      const store = await createCliDatabase(database);
      const env = {
        ...store.env,
        LANYARD_DATA_DIR: dataDir,
        LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
        LANYARD_LOG_LEVEL: 'warn',
        LANYARD_JOB_LEASE_S: String(LEASE_S),
      };
      const readJob = jobReader(database, dataDir, store.env.LANYARD_DATABASE_URL);
      let server: RunningServer | undefined;
      try {
        server = await startServer(env);
        t.diagnostic(`started at ${elapsed()}`);
        const email = uniqueEmail('export-crash');
        assert.equal((await call(server.url, 'POST', '/v1/signup', { body: { email } })).status, 202);
        const done = await call(server.url, 'POST', '/v1/signup/complete', {
          body: { email, code: await nextCode(dataDir, email, 0), password: `pw-${randomBytes(8).toString('hex')}` },
        });
        assert.equal(done.status, 201, JSON.stringify(done.body));
        const token: string = done.body.token;
        const accountId: string = done.body.account.id;
        for (let b = 0; b < BATCHES; b++) {
          const ops = Array.from({ length: ITEMS_PER_BATCH }, (_, i) => ({
            op: 'put',
            id: `note-${b}-${i}`,
            data: { text: randomBytes(ITEM_TEXT_BYTES / 2).toString('hex') },
          }));
          const written = await call(server.url, 'POST', '/v1/cloud/notes/batch', { token, body: { ops } });
          assert.equal(written.status, 200, JSON.stringify(written.body).slice(0, 500));
        }
        t.diagnostic(`${BATCHES * ITEMS_PER_BATCH} items written at ${elapsed()}`);

        const blobFolder = path.join(dataDir, 'blobs', accountId);
        const seenTemps = new Set<string>();
        const temps = () =>
          fs.existsSync(blobFolder) ? fs.readdirSync(blobFolder).filter((name) => name.startsWith('.tmp-')) : [];
        /** Waits for the export job to start (a zip's temporary file not seen before), and kills the server at once. */
        const killWhenRunning = async (exportId: string) => {
          const deadline = performance.now() + 30_000;
          for (;;) {
            const fresh = temps().filter((name) => !seenTemps.has(name));
            if (fresh.length > 0) {
              server!.process.signal('SIGKILL');
              await server!.process.exit();
              server = undefined;
              for (const name of fresh) seenTemps.add(name);
              break;
            }
            assert.ok(
              !fs.existsSync(path.join(blobFolder, `export-${exportId}`)),
              'the export finished before the test could kill it: it needs more data',
            );
            assert.ok(performance.now() < deadline, 'the export job never started');
            await sleep(5);
          }
          // The kill landed mid-job: the zip was never finished.
          assert.ok(
            !fs.existsSync(path.join(blobFolder, `export-${exportId}`)),
            'the export finished before the kill landed: it needs more data',
          );
        };

        const asked = await call(server.url, 'POST', '/v1/me/export', { token });
        assert.equal(asked.status, 202, JSON.stringify(asked.body));
        const exportId: string = asked.body.id;

        await killWhenRunning(exportId);
        t.diagnostic(`first kill at ${elapsed()}`);
        assert.deepEqual(
          await readJob(exportId),
          { attempts: 1, unfinished_starts: 0, failed_at: null, last_error: null },
          'killed during its first start',
        );

        server = await startServer(env);
        t.diagnostic(`restarted at ${elapsed()}`);
        await killWhenRunning(exportId);
        t.diagnostic(`second kill at ${elapsed()}`);
        assert.deepEqual(
          await readJob(exportId),
          { attempts: 2, unfinished_starts: 1, failed_at: null, last_error: null },
          'killed during its second start, the first counted as unfinished',
        );

        // The third start: once the second lease has run out, the worker parks the job instead of starting it.
        server = await startServer(env);
        let status: ExportStatus | undefined;
        for (let i = 0; i < 200; i++) {
          status = (await call(server.url, 'GET', `/v1/me/export/${exportId}`, { token })).body as ExportStatus;
          if (status.status !== 'pending') break;
          await sleep(100);
        }
        t.diagnostic(`export marked ${status?.status} at ${elapsed()}`);
        assert.equal(status?.status, 'failed', JSON.stringify(status));
        assert.match(status.error ?? '', /stopped the server/);
        // Give a worker that would (wrongly) start it again time to do so: a poll and more.
        await sleep(1500);
        assert.deepEqual(
          temps().filter((name) => !seenTemps.has(name)),
          [],
          'the job was not started a third time',
        );
        // Asking again makes a new export, which completes.
        const askedAgain = performance.now();
        const again = await call(server.url, 'POST', '/v1/me/export', { token });
        assert.equal(again.status, 202, JSON.stringify(again.body));
        assert.notEqual(again.body.id, exportId);
        let ready: ExportStatus | undefined;
        for (let i = 0; i < 600; i++) {
          ready = (await call(server.url, 'GET', `/v1/me/export/${again.body.id}`, { token })).body as ExportStatus;
          if (ready.status !== 'pending') break;
          await sleep(100);
        }
        t.diagnostic(
          `new export ${ready?.status} at ${elapsed()}, made in ${((performance.now() - askedAgain) / 1000).toFixed(1)}s`,
        );
        assert.equal(ready?.status, 'ready', JSON.stringify(ready));
        const zip = await call(server.url, 'GET', ready.download!, { token });
        assert.equal(zip.status, 200);
        assert.equal(zip.bytes.length, ready.size);
        assert.equal(zip.bytes.subarray(0, 4).toString('binary'), 'PK\u0003\u0004', 'a zip');
        assert.equal(
          (await call(server.url, 'GET', `/v1/me/export/${exportId}`, { token })).body.status,
          'failed',
          'the failed one stays failed',
        );
        server.process.signal('SIGTERM');
        assert.equal((await server.process.exit()).code, 0);
        server = undefined;
        const parked = await readJob(exportId);
        assert.equal(parked.attempts, 2, 'never claimed a third time');
        assert.ok(parked.failed_at !== null);
        assert.match(parked.last_error ?? '', /stopped its worker twice/);
      } finally {
        await server?.process.stop();
        await store.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
