import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteAccount } from '../deletion/test-helpers.js';
import type { Api } from '../testing/api-types.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';

const REDIS_URL = process.env.LANYARD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** The value of one sample of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const database of testDatabases()) {
  describe(`operations (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: { LANYARD_METRICS_TOKEN: 'scrape-me-please' } });
    });
    after(async () => t.close());

    const scrape = async () => {
      const answer = await t.request('GET', '/metrics', { headers: { authorization: 'Bearer scrape-me-please' } });
      assert.equal(answer.status, 200, answer.text);
      assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return answer.text;
    };

    test('GET /metrics times each route by its pattern and status, never by a URL with ids in it', async () => {
      const ana = await t.signUp();
      for (let i = 0; i < 3; i++) assert.equal((await t.request('GET', '/v1/me', { token: ana.token })).status, 200);
      assert.equal((await t.request('GET', '/v1/cloud/contacts/someone-secret', { token: ana.token })).status, 404);
      const text = await scrape();
      assert.ok(
        (sample(text, 'lanyard_http_request_duration_seconds_count{method="GET",route="/v1/me",status_code="200"}') ??
          0) >= 3,
      );
      assert.equal(
        sample(
          text,
          'lanyard_http_request_duration_seconds_count{method="GET",route="/v1/cloud/:collection/:itemId",status_code="404"}',
        ),
        1,
      );
      assert.ok(!text.includes('someone-secret'));
      assert.ok(sample(text, 'lanyard_process_resident_memory_bytes')! > 0);
    });

    test('GET /metrics shows the job queue, messages sent and failed, erasures and their duration', async () => {
      await t.drainJobs();
      const started = await t.request('POST', '/v1/signup', { body: { email: 'queued@example.com' } });
      assert.equal(started.status, 202);
      t.clock.advance(30_000);
      let text = await scrape();
      assert.equal(sample(text, 'lanyard_jobs_due{kind="message.send"}'), 1);
      assert.equal(sample(text, 'lanyard_jobs_oldest_due_age_seconds{kind="message.send"}'), 30);
      const sentBefore = sample(text, 'lanyard_messages_total{outcome="sent"}') ?? 0;
      await t.drainJobs();
      text = await scrape();
      assert.equal(sample(text, 'lanyard_jobs_due{kind="message.send"}'), undefined);
      assert.equal(sample(text, 'lanyard_messages_total{outcome="sent"}'), sentBefore + 1);

      t.messages.failing = true;
      await t.request('POST', '/v1/signup', { body: { email: 'fails@example.com' } });
      await t.drainJobs();
      t.messages.failing = false;
      text = await scrape();
      assert.equal(sample(text, 'lanyard_messages_total{outcome="retry"}'), 1);
      assert.equal(sample(text, 'lanyard_jobs_waiting{kind="message.send"}'), 1);

      const leaving = await t.signUp();
      await deleteAccount(t, leaving);
      text = await scrape();
      assert.equal(sample(text, 'lanyard_erasures_total{outcome="erased"}'), 1);
      assert.equal(sample(text, 'lanyard_erasure_duration_seconds_count'), 1);
      assert.equal(sample(text, 'lanyard_erasures{status="erased"}'), 1);
      assert.ok((sample(text, 'lanyard_job_runs_total{kind="account.erase",outcome="done"}') ?? 0) >= 1);
      assert.match(text, /# TYPE lanyard_webhook_deliveries gauge/);
    });

    test('GET /metrics asks for the metrics token when one is set', async () => {
      const without = await t.request<Api<'Problem'>>('GET', '/metrics');
      assert.equal(without.status, 401);
      assert.equal(without.body.code, 'unauthenticated');
      assert.equal(
        (await t.request('GET', '/metrics', { headers: { authorization: 'Bearer scrape-me-not' } })).status,
        401,
      );
    });

    test('GET /readyz answers 200 when the database answers, and says Redis is not configured', async () => {
      const ready = await t.request<Api<'Readiness'>>('GET', '/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.deepEqual(ready.body, { status: 'ready', checks: { database: 'ok', redis: 'not configured' } });
      assert.equal((await t.request('GET', '/healthz')).status, 200);
    });
  });

  describe(`readiness with Redis, overload and shutdown (${database})`, () => {
    test('GET /readyz checks Redis too, and answers 503 when it does not answer', async () => {
      const withRedis = await createTestApp({ database, env: { LANYARD_REDIS_URL: REDIS_URL } });
      try {
        const ready = await withRedis.request<Api<'Readiness'>>('GET', '/readyz');
        assert.equal(ready.status, 200, ready.text);
        assert.deepEqual(ready.body.checks, { database: 'ok', redis: 'ok' });
      } finally {
        await withRedis.close();
      }
      const redisDown = await createTestApp({ database, env: { LANYARD_REDIS_URL: 'redis://127.0.0.1:1' } });
      try {
        // Not ready is a problem that carries the state of each part.
        const notReady = await redisDown.request<Api<'Problem'> & Pick<Api<'Readiness'>, 'checks'>>('GET', '/readyz');
        assert.equal(notReady.status, 503);
        assert.equal(notReady.body.code, 'service_unavailable');
        assert.equal(notReady.body.checks.database, 'ok');
        assert.match(notReady.body.checks.redis ?? '', /^unreachable/);
        assert.ok(notReady.headers['retry-after']);
      } finally {
        await redisDown.close();
      }
    });

    test('an overloaded server answers 503 with Retry-After at once, while /healthz and /metrics still answer', async () => {
      const t = await createTestApp({
        database,
        env: {
          LANYARD_MAX_EVENT_LOOP_DELAY_MS: '50',
          LANYARD_PRESSURE_SAMPLE_MS: '100',
          LANYARD_OVERLOAD_RETRY_AFTER_S: '7',
        },
      });
      try {
        // Starting up (and a machine busy with other test files) can pass the 50 ms bound before this test
        // makes its own load: wait until the server is calm (a plain 401) before signing up.
        let calm = 0;
        for (let i = 0; i < 200 && calm !== 401; i++) {
          calm = (await t.request('GET', '/v1/session')).status;
          if (calm !== 401) await sleep(50);
        }
        assert.equal(calm, 401);
        // The sign-up's own work (a password hash, its jobs) may pass the bound too: a sign-up refused with
        // 503 is made again, and the server is let calm down before this test makes its load.
        let signedUp: TestAccount | undefined;
        for (let i = 0; i < 20 && !signedUp; i++) {
          signedUp = await t.signUp().catch(async () => {
            await sleep(100);
            return undefined;
          });
        }
        assert.ok(signedUp, 'a sign-up got through');
        const ana: TestAccount = signedUp;
        let settled = 0;
        for (let i = 0; i < 200 && settled !== 200; i++) {
          settled = (await t.request('GET', '/v1/me', { token: ana.token })).status;
          if (settled !== 200) await sleep(50);
        }
        assert.equal(settled, 200);
        // Work that holds the event loop, as a flood of requests would. Where the block falls between the
        // server's samples decides whether one sample measures it (a sample taken wholly inside the block
        // has no reading, and the server rightly does not refuse on no measure): a block whose delay went
        // unmeasured is made again, of another length, a few times at most.
        let refused: { status: number; headers: Record<string, unknown>; body: Api<'Problem'> } | undefined;
        for (let round = 0; round < 6 && !refused; round++) {
          const until = Date.now() + 1500 - round * 170;
          while (Date.now() < until);
          refused = await probe(ana.token);
        }
        assert.ok(refused, 'the overload was never seen');
        assert.equal(refused.body.code, 'overloaded');
        assert.equal(refused.headers['retry-after'], '7');
        let recovered = false;
        for (let i = 0; i < 200 && !recovered; i++) {
          recovered = (await t.request('GET', '/v1/me', { token: ana.token })).status === 200;
          if (!recovered) await sleep(20);
        }
        assert.ok(recovered, 'the server went on refusing once the event loop was free');
      } finally {
        await t.close();
      }

      /** Asks as a client would while the load lasts; the refusal, if one came. */
      async function probe(token: string) {
        let refused: { status: number; headers: Record<string, unknown>; body: Api<'Problem'> } | undefined;
        for (let i = 0; i < 40 && !refused; i++) {
          const [me, health, metrics] = await Promise.all([
            t.request<Api<'Problem'>>('GET', '/v1/me', { token }),
            t.request('GET', '/healthz'),
            t.request('GET', '/metrics'),
          ]);
          if (me.status === 503) {
            refused = me;
            assert.equal(health.status, 200);
            assert.equal(metrics.status, 200);
          } else {
            assert.equal(me.status, 200);
            await sleep(5);
          }
        }
        return refused;
      }
    });

    test('stopping finishes the requests in flight', async () => {
      const t = await createTestApp({ database });
      const ana = await t.signUp();
      await t.app.http.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.http.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      // A sign-in takes an argon2id verification: it is still running when the close begins.
      const received = new Promise((resolve) => t.app.http.server.once('request', resolve));
      const signIn = fetch(`${url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: ana.email, password: ana.password }),
      });
      await received;
      const closing = t.close();
      const answer = await signIn;
      assert.equal(answer.status, 201);
      assert.ok(((await answer.json()) as { token?: string }).token);
      await closing;
      await assert.rejects(fetch(`${url}/healthz`));
    });

    test('a worker stopping with a job in hand gives its lease back, without counting the attempt', async () => {
      const t = await createTestApp({ database });
      // The worker's poll timer is unref'd (it never holds a process open): this test holds the loop
      // open itself while it waits for the job, or the runner may find nothing left to wait on.
      const keepAlive = setInterval(() => undefined, 1000);
      try {
        let began!: () => void;
        const running = new Promise<void>((resolve) => (began = resolve));
        let finish!: () => void;
        const held = new Promise<void>((resolve) => (finish = resolve));
        // One of the application's kinds, its handler replaced by one that holds until the test lets go.
        t.app.jobs.register('unlock.release', async () => {
          began();
          await held;
        });
        const id = await t.app.jobs.enqueue(t.app.database.db, { kind: 'unlock.release', payload: { id: 'held' } });
        t.app.jobs.start();
        await running;
        const leased = await t.app.database.db
          .selectFrom('jobs')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.ok(leased.locked_by);
        assert.equal(leased.attempts, 1);
        await t.app.jobs.stop(0);
        const released = await t.app.database.db
          .selectFrom('jobs')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        assert.equal(released.locked_by, null);
        assert.equal(released.locked_until, null);
        assert.equal(released.attempts, 0);
        assert.equal(released.failed_at, null);
        finish();
      } finally {
        clearInterval(keepAlive);
        await t.close();
      }
    });
  });
}
