import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { ManualClock } from '../clock.js';
import type { DatabaseHandle } from '../db/database.js';
import type { JobRow } from '../db/schema.js';
import { testDatabases } from '../testing/test-app.js';
import { createTestStore, type TestStore } from '../testing/test-store.js';
import { JobRepository } from './repository.js';
import { JobService, PermanentJobError, type JobsOptions } from './service.js';

/** The queue's own tests run kinds of their own, with any JSON as payload. */
type TestJobs = Record<`test.${string}`, unknown>;

const log = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
const LEASE_MS = 5 * 60_000;

/** A promise with its resolve function outside, to hold a job in mid-run. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

for (const database of testDatabases()) {
  describe(`durable jobs (${database})`, () => {
    let store: TestStore;
    let handle: DatabaseHandle;
    let clock: ManualClock;
    let ran: Array<{ id: string; payload: unknown; attempt: number }>;

    const worker = (options: JobsOptions = {}, on: DatabaseHandle = handle) => {
      const jobs = new JobService<TestJobs>({ repository: new JobRepository(on.db, on.dialect), clock, log, options });
      jobs.register('test.record', async (payload, job) => {
        ran.push({ id: job.id, payload, attempt: job.attempts });
      });
      return jobs;
    };
    const row = (id: string): Promise<JobRow | undefined> =>
      handle.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

    before(async () => {
      store = await createTestStore(database);
    });
    after(async () => store?.close());
    beforeEach(async () => {
      handle = store.connect();
      clock = new ManualClock(Date.UTC(2026, 10, 23, 12));
      ran = [];
      await handle.db.deleteFrom('jobs').execute();
    });
    afterEach(async () => handle?.close());

    test('a job written in a committed transaction runs once with its payload, and is then gone', async () => {
      const jobs = worker();
      const id = await handle.db
        .transaction()
        .execute((trx) => jobs.enqueue(trx, { kind: 'test.record', payload: { hello: 'world' } }));
      assert.equal(await jobs.runDue(), 1);
      assert.deepEqual(ran, [{ id, payload: { hello: 'world' }, attempt: 1 }]);
      assert.equal(await row(id), undefined);
      assert.equal(await jobs.runDue(), 0);
      assert.equal(ran.length, 1);
    });

    test('a job written in a transaction that rolls back never exists and never runs', async () => {
      const jobs = worker();
      let id = '';
      await assert.rejects(
        handle.db.transaction().execute(async (trx) => {
          id = await jobs.enqueue(trx, { kind: 'test.record', payload: {} });
          throw new Error('the change that needed the job failed');
        }),
        /the change that needed the job failed/,
      );
      assert.equal(await row(id), undefined);
      assert.equal(await jobs.runDue(), 0);
      assert.deepEqual(ran, []);
    });

    test('a job due later waits until its time', async () => {
      const jobs = worker();
      await jobs.enqueue(handle.db, { kind: 'test.record', payload: {}, runAt: clock.now() + 60_000 });
      assert.equal(await jobs.runDue(), 0);
      clock.advance(59_999);
      assert.equal(await jobs.runDue(), 0);
      clock.advance(1);
      assert.equal(await jobs.runDue(), 1);
    });

    test('a failing job keeps its row, records the attempt and error, and backs off exponentially until it succeeds once', async () => {
      const jobs = new JobService<TestJobs>({
        repository: new JobRepository(handle.db, handle.dialect),
        clock,
        log,
        options: { backoffBaseMs: 1000 },
      });
      let calls = 0;
      jobs.register('test.flaky', async () => {
        calls += 1;
        if (calls <= 3) throw new Error(`provider down (${calls})`);
      });
      const id = await jobs.enqueue(handle.db, { kind: 'test.flaky', payload: {} });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const failedAt = clock.now();
        await jobs.runDue();
        const job = (await row(id))!;
        assert.equal(job.attempts, attempt);
        assert.equal(job.last_error, `provider down (${attempt})`);
        assert.equal(job.failed_at, null);
        assert.equal(job.locked_by, null);
        const delay = job.run_at - failedAt;
        const nominal = 1000 * 2 ** (attempt - 1);
        assert.ok(
          delay >= nominal * 0.8 && delay <= nominal * 1.2,
          `retry ${attempt} after ${delay} ms, about ${nominal}`,
        );
        // Not before its time.
        clock.set(job.run_at - 1);
        assert.equal(await jobs.runDue(), 0);
        assert.equal(calls, attempt);
        clock.set(job.run_at);
      }
      assert.equal(await jobs.runDue(), 1);
      assert.equal(calls, 4);
      assert.equal(await row(id), undefined);
      clock.advance(24 * 3600_000);
      assert.equal(await jobs.runDue(), 0);
      assert.equal(calls, 4);
    });

    test('a job that keeps failing is marked failed after its last attempt and is never run again', async () => {
      const jobs = new JobService<TestJobs>({ repository: new JobRepository(handle.db, handle.dialect), clock, log });
      let calls = 0;
      jobs.register('test.broken', async () => {
        calls += 1;
        throw new Error('still down');
      });
      const id = await jobs.enqueue(handle.db, { kind: 'test.broken', payload: {}, maxAttempts: 3 });
      for (let i = 0; i < 3; i++) {
        await jobs.runDue();
        clock.set((await row(id))!.run_at);
      }
      const failed = (await row(id))!;
      assert.equal(calls, 3);
      assert.equal(failed.attempts, 3);
      assert.equal(failed.last_error, 'still down');
      assert.ok(failed.failed_at !== null && failed.failed_at <= clock.now());
      clock.advance(30 * 24 * 3600_000);
      assert.equal(await jobs.runDue(), 0);
      assert.equal(calls, 3);
    });

    test('a job that asks not to be retried is marked failed at its first attempt', async () => {
      const jobs = new JobService<TestJobs>({ repository: new JobRepository(handle.db, handle.dialect), clock, log });
      jobs.register('test.hopeless', async () => {
        throw new PermanentJobError('the payload names nothing that exists');
      });
      const id = await jobs.enqueue(handle.db, { kind: 'test.hopeless', payload: {} });
      await jobs.runDue();
      const job = (await row(id))!;
      assert.equal(job.attempts, 1);
      assert.equal(job.failed_at, clock.now());
      assert.equal(job.last_error, 'the payload names nothing that exists');
      clock.advance(24 * 3600_000);
      assert.equal(await jobs.runDue(), 0);
    });

    test('a job whose worker died mid-job is claimed again once the lease runs out, and runs once', async () => {
      const jobs = worker();
      const id = await jobs.enqueue(handle.db, { kind: 'test.record', payload: { n: 1 } });
      // A worker claims the job and dies before reporting back: the row keeps its lease.
      const [claimed] = await new JobRepository(handle.db, handle.dialect).claim(
        'worker-that-died',
        ['test.record'],
        clock.now(),
        LEASE_MS,
        10,
      );
      assert.equal(claimed?.id, id);
      assert.equal(await jobs.runDue(), 0);
      clock.advance(LEASE_MS - 1);
      assert.equal(await jobs.runDue(), 0);
      clock.advance(2);
      assert.equal(await jobs.runDue(), 1);
      assert.deepEqual(ran, [{ id, payload: { n: 1 }, attempt: 2 }]);
      assert.equal(await row(id), undefined);
    });

    test('a job whose worker died during its last attempt is marked failed after the lease, not run again', async () => {
      const jobs = worker();
      const id = await jobs.enqueue(handle.db, { kind: 'test.record', payload: {}, maxAttempts: 1 });
      await new JobRepository(handle.db, handle.dialect).claim(
        'worker-that-died',
        ['test.record'],
        clock.now(),
        LEASE_MS,
        10,
      );
      clock.advance(LEASE_MS + 1);
      assert.equal(await jobs.runDue(), 0);
      assert.deepEqual(ran, []);
      const job = (await row(id))!;
      assert.equal(job.failed_at, clock.now());
      assert.match(job.last_error ?? '', /worker stopped/);
    });

    test('a job that took its process down twice is parked as failed with its reason, not started a third time, and its owner is told', async () => {
      const told: Array<{ payload: unknown; reason: string }> = [];
      const jobs = worker();
      jobs.register(
        'test.crashes',
        async () => assert.fail('a job that crashed twice must not be started again'),
        async (payload, reason) => {
          told.push({ payload, reason });
        },
      );
      const id = await jobs.enqueue(handle.db, { kind: 'test.crashes', payload: { n: 7 }, maxAttempts: 10 });
      const repository = new JobRepository(handle.db, handle.dialect);
      // Two processes in turn claim it and die before reporting back: the claim is the durable start mark.
      assert.equal((await repository.claim('process-1', ['test.crashes'], clock.now(), LEASE_MS, 10)).length, 1);
      clock.advance(LEASE_MS + 1);
      const [second] = await repository.claim('process-2', ['test.crashes'], clock.now(), LEASE_MS, 10);
      assert.equal(second?.unfinished_starts, 1, 'the first start never finished');
      clock.advance(LEASE_MS + 1);
      assert.equal(await jobs.runDue(), 0);
      const job = (await row(id))!;
      assert.equal(job.failed_at, clock.now());
      assert.equal(job.attempts, 2);
      assert.match(job.last_error ?? '', /stopped its worker twice/);
      assert.deepEqual(told, [{ payload: { n: 7 }, reason: job.last_error }]);
      clock.advance(24 * 3600_000);
      assert.equal(await jobs.runDue(), 0);
    });

    test('a job that crashed once and then failed normally is retried; only unfinished starts count towards parking it', async () => {
      const jobs = worker();
      let calls = 0;
      jobs.register('test.flaky', async () => {
        calls += 1;
        if (calls === 1) throw new Error('a provider was down');
      });
      const id = await jobs.enqueue(handle.db, { kind: 'test.flaky', payload: {} });
      await new JobRepository(handle.db, handle.dialect).claim(
        'process-that-died',
        ['test.flaky'],
        clock.now(),
        LEASE_MS,
        10,
      );
      clock.advance(LEASE_MS + 1);
      assert.equal(await jobs.runDue(), 1);
      assert.equal((await row(id))?.last_error, 'a provider was down');
      clock.advance(3600_000);
      assert.equal(await jobs.runDue(), 1);
      assert.equal(calls, 2);
      assert.equal(await row(id), undefined, 'it finished');
    });

    test('a run that outlives its lease neither removes nor reschedules the newer claim of the same job', async () => {
      const jobs = new JobService<TestJobs>({ repository: new JobRepository(handle.db, handle.dialect), clock, log });
      const firstStarted = gate();
      const firstDone = gate();
      const secondStarted = gate();
      const secondDone = gate();
      let calls = 0;
      jobs.register('test.slow', async () => {
        calls += 1;
        if (calls === 1) {
          firstStarted.open();
          await firstDone.promise;
          return;
        }
        secondStarted.open();
        await secondDone.promise;
        throw new Error('the second try failed');
      });
      const id = await jobs.enqueue(handle.db, { kind: 'test.slow', payload: {} });
      const first = jobs.runDue();
      await firstStarted.promise;
      clock.advance(LEASE_MS + 1);
      const second = jobs.runDue();
      await secondStarted.promise;
      // The first run finishes late: its success must not delete the row the second run now holds.
      firstDone.open();
      await first;
      assert.equal((await row(id))?.attempts, 2);
      secondDone.open();
      await second;
      const job = (await row(id))!;
      assert.equal(job.last_error, 'the second try failed');
      assert.equal(job.failed_at, null);
      assert.ok(job.run_at > clock.now());
    });

    test('jobs of a kind this worker cannot run are left for a worker that can', async () => {
      const older = worker();
      const newer = worker();
      newer.register('test.newer', async (payload) => {
        ran.push({ id: 'newer', payload, attempt: 0 });
      });
      const id = await older.enqueue(handle.db, { kind: 'test.newer', payload: { v: 2 } });
      assert.equal(await older.runDue(), 0);
      const untouched = (await row(id))!;
      assert.equal(untouched.attempts, 0);
      assert.equal(untouched.failed_at, null);
      assert.equal(await newer.runDue(), 1);
      assert.deepEqual(ran, [{ id: 'newer', payload: { v: 2 }, attempt: 0 }]);
    });

    test('a committed job survives its process closing and runs once in the next one', async () => {
      const id = await worker().enqueue(handle.db, { kind: 'test.record', payload: { survived: true } });
      await handle.close();
      handle = store.connect();
      const restarted = worker();
      assert.equal(await restarted.runDue(), 1);
      assert.deepEqual(ran, [{ id, payload: { survived: true }, attempt: 1 }]);
      assert.equal(await restarted.runDue(), 0);
    });

    test('two workers on their own connections, claiming at the same time, never run the same job', async () => {
      const other = store.connect();
      try {
        const a = worker({ batchSize: 3 });
        const b = worker({ batchSize: 3 }, other);
        const ids = new Set<string>();
        for (let i = 0; i < 60; i++) ids.add(await a.enqueue(handle.db, { kind: 'test.record', payload: { i } }));
        const [byA, byB] = await Promise.all([a.runDue(), b.runDue()]);
        assert.equal(byA + byB, 60);
        assert.equal(ran.length, 60, 'each job ran exactly once');
        assert.deepEqual(new Set(ran.map((r) => r.id)), ids);
        assert.ok(
          ran.every((r) => r.attempt === 1),
          'no job was claimed twice',
        );
        assert.equal(
          Number(
            (
              await handle.db
                .selectFrom('jobs')
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
          0,
        );
      } finally {
        await other.close();
      }
    });

    test('the background worker runs jobs as they are enqueued, and stop() waits for the job in hand', async () => {
      const jobs = new JobService<TestJobs>({
        repository: new JobRepository(handle.db, handle.dialect),
        clock,
        log,
        options: { pollMs: 10 },
      });
      const started = gate();
      const release = gate();
      jobs.register('test.background', async () => {
        started.open();
        await release.promise;
      });
      jobs.start();
      const id = await jobs.enqueue(handle.db, { kind: 'test.background', payload: {} });
      jobs.wake();
      await started.promise;
      let stopped = false;
      const stopping = jobs.stop().then(() => (stopped = true));
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(stopped, false, 'stop() waits while a job is running');
      release.open();
      await stopping;
      assert.equal(await row(id), undefined, 'the job in hand finished and was removed before stop() returned');
    });

    if (database === 'postgres') {
      test('a job row locked by another worker is skipped, not waited for, and is claimed once released', async () => {
        const jobs = worker();
        const locked = await jobs.enqueue(handle.db, { kind: 'test.record', payload: { which: 'locked' } });
        const free = await jobs.enqueue(handle.db, { kind: 'test.record', payload: { which: 'free' } });
        const other = await store.adminClient();
        // Should the claim wait for the lock instead of skipping it, the server ends this transaction
        // after a while: the claim then runs both jobs and the assertion below fails instead of hanging.
        await other.query(`SET idle_in_transaction_session_timeout = '15s'`);
        await other.query('BEGIN');
        await other.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [locked]);
        try {
          assert.equal(await jobs.runDue(), 1);
          assert.deepEqual(
            ran.map((r) => r.id),
            [free],
          );
        } finally {
          await other.query('ROLLBACK').catch(() => undefined);
        }
        assert.equal(await jobs.runDue(), 1);
        assert.deepEqual(
          ran.map((r) => r.id),
          [free, locked],
        );
      });
    }
  });
}
