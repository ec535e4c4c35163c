import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { JobRepository } from '../jobs/repository.js';
import { codeIn, messageJobs } from '../testing/messages.js';
import { startSmsReceiver, startSmtpReceiver, type SmsReceiver, type SmtpReceiver } from '../testing/receivers.js';
import { createTestApp, testDatabases, uniqueEmail, uniquePhone, type TestApp } from '../testing/test-app.js';
import { createTestStore } from '../testing/test-store.js';
import { MESSAGE_JOB } from './service.js';

const LEASE_MS = 5 * 60_000;
const sentTo = (sms: SmsReceiver, phone: string) =>
  sms.requests.filter((r) => (r.body as { to?: string }).to === phone);

for (const database of testDatabases()) {
  describe(`message delivery when the provider is down (${database})`, () => {
    let sms: SmsReceiver;
    let t: TestApp;
    before(async () => {
      sms = await startSmsReceiver();
      t = await createTestApp({ database, realTransports: true, env: { LANYARD_SMS_WEBHOOK_URL: sms.url } });
    });
    // Receivers first: an app that failed to start must not leave a server keeping the run alive.
    after(async () => {
      await sms?.close();
      await t?.close();
    });

    test('a failed send keeps the job, records the error, backs off exponentially, and delivers exactly once after recovery', async () => {
      const phone = uniquePhone();
      sms.status = 500;
      try {
        await t.request('POST', '/v1/signup', { body: { phone } });
        for (let attempt = 1; attempt <= 3; attempt++) {
          const triedAt = t.clock.now();
          await t.drainJobs();
          assert.equal(sentTo(sms, phone).length, attempt);
          const [job] = await messageJobs(t);
          assert.equal(job!.attempts, attempt);
          assert.equal(job!.last_error, 'SMS webhook answered 500');
          assert.equal(job!.failed_at, null);
          const delay = job!.run_at - triedAt;
          const nominal = 5000 * 2 ** (attempt - 1);
          assert.ok(
            delay >= nominal * 0.8 && delay <= nominal * 1.2,
            `retry ${attempt} after ${delay} ms, about ${nominal}`,
          );
          // Nothing is tried again before its time.
          t.clock.set(job!.run_at - 1);
          await t.drainJobs();
          assert.equal(sentTo(sms, phone).length, attempt);
          t.clock.set(job!.run_at);
        }
        sms.status = 200;
        await t.drainJobs();
        const calls = sentTo(sms, phone);
        assert.equal(calls.length, 4);
        assert.equal(calls.filter((c) => c.status === 200).length, 1, 'delivered exactly once');
        assert.equal(new Set(calls.map((c) => c.headers['idempotency-key'])).size, 1, 'every try carried the same key');
        assert.deepEqual(await messageJobs(t), []);
        const code = codeIn((calls[3]!.body as { text: string }).text);
        const done = await t.request('POST', '/v1/signup/complete', {
          body: { phone, code, password: 'a long unusual passphrase' },
        });
        assert.equal(done.status, 201, done.text);
        t.clock.advance(24 * 3600_000);
        await t.drainJobs();
        assert.equal(sentTo(sms, phone).length, 4);
      } finally {
        sms.status = 200;
      }
    });

    test('after its last attempt a message job is marked failed and not tried again', async () => {
      const phone = uniquePhone();
      sms.status = 503;
      try {
        await t.request('POST', '/v1/signup', { body: { phone } });
        for (let i = 0; i < 20; i++) {
          await t.drainJobs();
          const [job] = await messageJobs(t);
          if (job!.failed_at !== null) break;
          t.clock.set(job!.run_at);
        }
        const [failed] = await messageJobs(t);
        assert.equal(failed!.attempts, 12);
        assert.equal(failed!.max_attempts, 12);
        assert.ok(failed!.failed_at !== null);
        assert.equal(failed!.last_error, 'SMS webhook answered 503');
        assert.equal(sentTo(sms, phone).length, 12);
        sms.status = 200;
        t.clock.advance(30 * 24 * 3600_000);
        await t.drainJobs();
        assert.equal(sentTo(sms, phone).length, 12, 'a failed job is not retried');
      } finally {
        sms.status = 200;
        await t.app.database.db.deleteFrom('jobs').execute();
      }
    });

    test('a message the provider refuses as malformed is marked failed at once instead of retried', async () => {
      const phone = uniquePhone();
      sms.status = 400;
      try {
        await t.request('POST', '/v1/signup', { body: { phone } });
        await t.drainJobs();
        const [job] = await messageJobs(t);
        assert.equal(job!.attempts, 1);
        assert.ok(job!.failed_at !== null);
        assert.match(job!.last_error ?? '', /refused the message: 400/);
        t.clock.advance(24 * 3600_000);
        await t.drainJobs();
        assert.equal(sentTo(sms, phone).length, 1);
      } finally {
        sms.status = 200;
        await t.app.database.db.deleteFrom('jobs').execute();
      }
    });
  });

  describe(`message delivery when the SMTP server refuses connections (${database})`, () => {
    let smtp: SmtpReceiver;
    let t: TestApp;
    before(async () => {
      smtp = await startSmtpReceiver();
      t = await createTestApp({ database, realTransports: true, env: { LANYARD_SMTP_URL: smtp.url } });
    });
    // Receivers first: an app that failed to start must not leave a server keeping the run alive.
    after(async () => {
      await smtp?.close();
      await t?.close();
    });

    test('mail waits with the error recorded while the server is down, and goes once when it is back', async () => {
      const email = uniqueEmail('smtp-down');
      await smtp.stop();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const [job] = await messageJobs(t);
      assert.equal(job!.attempts, 1);
      assert.match(job!.last_error ?? '', /ECONNREFUSED/);
      assert.ok(job!.run_at > t.clock.now());
      await smtp.restart();
      await t.drainJobs();
      assert.equal(smtp.mails.length, 0, 'not before the backoff');
      t.clock.set(job!.run_at);
      await t.drainJobs();
      assert.equal(smtp.mails.filter((m) => m.envelopeTo.includes(email)).length, 1);
      assert.deepEqual(await messageJobs(t), []);
    });
  });

  describe(`messages across crashes (${database})`, () => {
    test('a message committed before the app went down is delivered once by the next app on the same database', async () => {
      const store = await createTestStore(database);
      const key = randomBytes(32).toString('hex');
      try {
        const email = uniqueEmail('crash');
        const first = await createTestApp({ ...store.appOptions, env: { LANYARD_MASTER_KEY: key } });
        assert.equal((await first.request('POST', '/v1/signup', { body: { email } })).status, 202);
        // Down before any worker ran: the message exists only as the committed job.
        await first.close();
        assert.equal(first.messages.sent.length, 0);

        const second = await createTestApp({ ...store.appOptions, env: { LANYARD_MASTER_KEY: key } });
        try {
          assert.equal(await second.drainJobs(), 1);
          assert.equal(await second.drainJobs(), 0);
          assert.equal(second.messages.to(email).length, 1);
          const done = await second.request('POST', '/v1/signup/complete', {
            body: { email, code: second.messages.lastCode(email), password: 'a long unusual passphrase' },
          });
          assert.equal(done.status, 201);
        } finally {
          await second.close();
        }
      } finally {
        await store.close();
      }
    });

    describe('within one app', () => {
      let t: TestApp;
      before(async () => {
        t = await createTestApp({ database });
      });
      after(async () => t?.close());

      test('a message whose worker died mid-send is sent again after the lease, once', async () => {
        const email = uniqueEmail('lease');
        await t.request('POST', '/v1/signup', { body: { email } });
        await new JobRepository(t.app.database.db, t.app.database.dialect).claim(
          'worker-that-died',
          [MESSAGE_JOB],
          t.clock.now(),
          LEASE_MS,
          10,
        );
        await t.drainJobs();
        assert.equal(t.messages.to(email).length, 0, 'the lease still holds');
        t.clock.advance(LEASE_MS + 1);
        await t.drainJobs();
        await t.drainJobs();
        assert.equal(t.messages.to(email).length, 1);
        codeIn(t.messages.to(email)[0]!.text);
      });

      test('a message enqueued in a transaction that rolled back is never sent', async () => {
        const email = uniqueEmail('rollback');
        await assert.rejects(
          t.app.database.db.transaction().execute(async (trx) => {
            await t.app.services.messages.enqueue(trx, {
              channel: 'email',
              to: email,
              kind: 'password_changed',
              locale: 'en',
              params: {},
            });
            throw new Error('the change failed after the message was queued');
          }),
        );
        assert.deepEqual(await messageJobs(t), []);
        await t.drainJobs();
        assert.equal(t.messages.to(email).length, 0);
      });

      test('a message job row holds neither the code nor the address in clear', async () => {
        const email = uniqueEmail('sealed');
        await t.request('POST', '/v1/signup', { body: { email } });
        const [job] = await messageJobs(t);
        await t.drainJobs();
        const code = t.messages.lastCode(email);
        const stored = JSON.stringify(job);
        assert.ok(!stored.includes(code), 'no code in the row');
        assert.ok(!stored.includes(email), 'no address in the row');
        assert.ok(!stored.includes(email.split('@')[0]!), 'no part of the address in the row');
        assert.ok(!/sign-up code|create a Lanyard account/.test(stored), 'no message text in the row');
        assert.deepEqual(Object.keys(JSON.parse(job!.payload) as object), ['sealed']);
      });

      test('a sealed message moved onto another job row does not open there, and that job fails without sending', async () => {
        const victim = uniqueEmail('victim');
        const other = uniqueEmail('other');
        await t.request('POST', '/v1/signup', { body: { email: victim } });
        await t.request('POST', '/v1/signup', { body: { email: other } });
        const [victimJob, otherJob] = await messageJobs(t);
        await t.app.database.db
          .updateTable('jobs')
          .set({ payload: victimJob!.payload })
          .where('id', '=', otherJob!.id)
          .execute();
        await t.drainJobs();
        assert.equal(t.messages.to(victim).length, 1, 'the original is delivered once');
        assert.equal(t.messages.to(other).length, 0);
        const [moved] = await messageJobs(t);
        assert.equal(moved!.id, otherJob!.id);
        assert.ok(moved!.failed_at !== null, 'failed for good at the first try');
        assert.equal(moved!.attempts, 1);
      });
    });
  });
}
