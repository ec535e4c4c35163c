import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSmsReceiver, startSmtpReceiver, type SmsReceiver, type SmtpReceiver } from '../testing/receivers.js';
import { createTestApp, testDatabases, uniqueEmail, uniquePhone, type TestApp } from '../testing/test-app.js';
import { codeIn, crashBeforeDelete, messageJobs } from '../testing/messages.js';
import type { Api } from '../testing/api-types.js';

async function completeSignup(t: TestApp, address: { email: string } | { phone: string }, code: string) {
  return t.request<Api<'SessionIssued'>>('POST', '/v1/signup/complete', {
    body: { ...address, code, password: 'a long unusual passphrase' },
  });
}

for (const database of testDatabases()) {
  describe(`messages by SMTP (${database})`, () => {
    let smtp: SmtpReceiver;
    let t: TestApp;
    before(async () => {
      smtp = await startSmtpReceiver();
      t = await createTestApp({
        database,
        realTransports: true,
        env: { LANYARD_SMTP_URL: smtp.url, LANYARD_MAIL_FROM: 'Lanyard Accounts <accounts@lanyard.test>' },
      });
    });
    // Receivers first: an app that failed to start must not leave a server keeping the run alive.
    after(async () => {
      await smtp?.close();
      await t?.close();
    });

    test('a sign-up code arrives at the SMTP server from the configured sender, and completes the sign-up', async () => {
      const email = uniqueEmail('smtp');
      assert.equal((await t.request('POST', '/v1/signup', { body: { email } })).status, 202);
      assert.equal(smtp.mails.length, 0, 'the message waits for the worker, after the commit');
      const [job] = await messageJobs(t);
      assert.equal(await t.drainJobs(), 1);
      const mail = smtp.mails.find((m) => m.envelopeTo.includes(email));
      assert.ok(mail, 'the mail arrived');
      assert.equal(mail.envelopeFrom, 'accounts@lanyard.test');
      assert.deepEqual(mail.envelopeTo, [email]);
      assert.equal(mail.headers.from, 'Lanyard Accounts <accounts@lanyard.test>');
      assert.equal(mail.headers.to, email);
      assert.equal(mail.headers.subject, 'Your Lanyard sign-up code');
      assert.equal(mail.headers['message-id'], `<${job!.id}@127.0.0.1>`);
      assert.match(mail.headers['content-type'] ?? '', /^text\/plain; charset=utf-8/i);
      const code = codeIn(mail.text);
      assert.match(mail.text, new RegExp(`Your code to create a Lanyard account is ${code}\\.`));
      assert.equal((await completeSignup(t, { email }, code)).status, 201);
    });

    test('a Spanish message keeps its accents in the subject and the body', async () => {
      const email = uniqueEmail('smtp-es');
      await t.request('POST', '/v1/signup', { body: { email }, headers: { 'accept-language': 'es-ES,es;q=0.9' } });
      await t.drainJobs();
      const mail = smtp.mails.find((m) => m.envelopeTo.includes(email))!;
      assert.equal(mail.headers.subject, 'Tu código de registro de Lanyard');
      assert.match(mail.text, /^Tu código para crear una cuenta de Lanyard es \d{6}\./);
      codeIn(mail.text);
    });

    test('a delivery run again after a crash carries the same Message-ID, so the copy is recognisable', async () => {
      const email = uniqueEmail('smtp-again');
      await t.request('POST', '/v1/signup', { body: { email } });
      const [job] = await messageJobs(t);
      await t.drainJobs();
      await crashBeforeDelete(t, job!);
      await t.drainJobs();
      const copies = smtp.mails.filter((m) => m.envelopeTo.includes(email));
      assert.equal(copies.length, 2);
      assert.equal(copies[0]!.headers['message-id'], copies[1]!.headers['message-id']);
      assert.deepEqual(await messageJobs(t), []);
    });
  });

  describe(`messages by SMS webhook (${database})`, () => {
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

    test('a sign-up code is POSTed as {to, text} JSON with the job as Idempotency-Key, and completes the sign-up', async () => {
      const phone = uniquePhone();
      assert.equal((await t.request('POST', '/v1/signup', { body: { phone } })).status, 202);
      const [job] = await messageJobs(t);
      await t.drainJobs();
      const [request] = sms.requests.filter((r) => (r.body as { to?: string }).to === phone);
      assert.ok(request, 'the provider was called');
      assert.equal(request.method, 'POST');
      assert.match(String(request.headers['content-type']), /^application\/json/);
      assert.equal(request.headers['idempotency-key'], job!.id);
      const body = request.body as { to: string; text: string };
      assert.deepEqual(Object.keys(body).sort(), ['text', 'to']);
      assert.equal(body.to, phone);
      const code = codeIn(body.text);
      assert.equal((await completeSignup(t, { phone }, code)).status, 201);
    });

    test('a delivery run again after a crash sends the same Idempotency-Key, so the provider can drop the copy', async () => {
      const phone = uniquePhone();
      await t.request('POST', '/v1/signup', { body: { phone } });
      const [job] = await messageJobs(t);
      await t.drainJobs();
      await crashBeforeDelete(t, job!);
      await t.drainJobs();
      const calls = sms.requests.filter((r) => (r.body as { to?: string }).to === phone);
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((c) => c.headers['idempotency-key']),
        [job!.id, job!.id],
      );
    });

    test('with SMS configured and no SMTP, mail goes to the dev outbox', async () => {
      const email = uniqueEmail('outbox-mixed');
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const lines = fs.readFileSync(path.join(t.app.config.dataDir, 'outbox.jsonl'), 'utf8').trim().split('\n');
      assert.ok(lines.some((l) => (JSON.parse(l) as { to: string }).to === email));
      assert.ok(!sms.requests.some((r) => (r.body as { to?: string }).to === email));
    });
  });

  describe(`messages in the dev outbox (${database})`, () => {
    let dataDir: string;
    let t: TestApp;
    const outbox = () =>
      fs
        .readFileSync(path.join(dataDir, 'outbox.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { id: string; to: string; channel: string; subject: string; text: string });
    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-outbox-'));
      t = await createTestApp({ database, dataDir, realTransports: true });
    });
    after(async () => {
      await t?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test('with neither SMTP nor SMS configured, codes land in outbox.jsonl, one JSON object a line', async () => {
      const email = uniqueEmail('outbox');
      const phone = uniquePhone();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.request('POST', '/v1/signup', { body: { phone } });
      assert.equal(await t.drainJobs(), 2);
      const mail = outbox().find((m) => m.to === email)!;
      const sms = outbox().find((m) => m.to === phone)!;
      assert.equal(mail.channel, 'email');
      assert.equal(sms.channel, 'sms');
      for (const message of [mail, sms]) {
        for (const field of ['to', 'channel', 'subject', 'text'] as const)
          assert.equal(typeof message[field], 'string');
        assert.ok(message.subject.length > 0);
      }
      assert.equal((await completeSignup(t, { email }, codeIn(mail.text))).status, 201);
      assert.equal((await completeSignup(t, { phone }, codeIn(sms.text))).status, 201);
    });

    test('a delivery of the same job run again after a crash is not written twice', async () => {
      const email = uniqueEmail('outbox-again');
      await t.request('POST', '/v1/signup', { body: { email } });
      const [job] = await messageJobs(t);
      await t.drainJobs();
      await crashBeforeDelete(t, job!);
      assert.equal(await t.drainJobs(), 1, 'the job ran again');
      assert.equal(outbox().filter((m) => m.to === email).length, 1);
      assert.deepEqual(await messageJobs(t), []);
    });

    test('a line torn by a crash mid-write does not swallow the next message', async () => {
      fs.appendFileSync(path.join(dataDir, 'outbox.jsonl'), '{"id":"torn","to":"some');
      const email = uniqueEmail('outbox-torn');
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const lines = fs.readFileSync(path.join(dataDir, 'outbox.jsonl'), 'utf8').split('\n');
      const line = lines.find((l) => l.includes(email));
      assert.ok(line);
      assert.equal((JSON.parse(line) as { to: string }).to, email);
    });
  });
}
