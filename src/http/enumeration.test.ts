import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { assertProblem } from '../testing/problems.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp, type TestResponse } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

// Issue 13, item 4: the routes that anyone may call with any login answer a wrong code alike whether
// the login has an account or not (body, status, headers); and they run the same statements either way
// (see VerificationService.check), which is what keeps the time alike.

const MINUTE = 60_000;
const PASSWORD = 'a long unusual passphrase';

let ipCounter = 0;
const nextIp = () => `198.51.100.${((ipCounter += 1) % 250) + 1}`;

/** What a client can compare between two answers: status, type and body, without the request id. */
function visible(response: TestResponse) {
  const { requestId: _id, ...body } = response.body as Record<string, unknown>;
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    retryAfter: response.headers['retry-after'],
    body,
  };
}

/** Asserts every answer is the same refusal, naming each in the message when one differs. */
function assertAlike(answers: Record<string, TestResponse<Api<'Problem'>>>) {
  const [firstName, first] = Object.entries(answers)[0]!;
  assertProblem(first, 400, 'code_invalid', firstName);
  assert.equal(first.body.attemptsLeft, undefined, 'no count of tries left: only a login with a code could have one');
  for (const [name, answer] of Object.entries(answers))
    assert.deepEqual(visible(answer), visible(first), `${name} answers as ${firstName} does`);
}

for (const database of testDatabases()) {
  describe(`sign-up and recovery completion answer alike for known and unknown logins (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
    });
    after(async () => t.close());

    const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

    test('POST /v1/recovery/complete: unknown login, known without a code, wrong, expired and spent codes all answer the same 400', async () => {
      const askFor = async (login: string) => {
        const answer = await t.request('POST', '/v1/recovery', {
          body: { login, channel: 'email', captcha: await solvedCaptcha(t) },
        });
        assert.equal(answer.status, 202, answer.text);
        await t.drainJobs();
        return t.messages.lastCode(login);
      };
      const complete = (login: string, code: string) =>
        t.request<Api<'Problem'>>('POST', '/v1/recovery/complete', {
          body: { login, code, newPassword: PASSWORD },
          ip: nextIp(),
        });

      const withCode = await t.signUp();
      const code = await askFor(withCode.email!);
      const withoutCode = await t.signUp();
      const expired = await t.signUp();
      const expiredCode = await askFor(expired.email!);
      const spent = await t.signUp();
      const spentCode = await askFor(spent.email!);
      for (let i = 0; i < 5; i++) await complete(spent.email!, wrongFor(spentCode));
      const unknownAsked = uniqueEmail();
      await t.request('POST', '/v1/recovery', {
        body: { login: unknownAsked, channel: 'email', captcha: await solvedCaptcha(t) },
      });
      await t.drainJobs();

      const answers = {
        'a known login with a wrong code': await complete(withCode.email!, wrongFor(code)),
        'an unknown login': await complete(uniqueEmail(), '123456'),
        'an unknown login that asked for a code': await complete(unknownAsked, '123456'),
        'a known login that never asked for a code': await complete(withoutCode.email!, '123456'),
        'a known login whose tries are spent, with the right code': await complete(spent.email!, spentCode),
      };
      t.clock.advance(16 * MINUTE);
      assertAlike({ ...answers, 'a known login with an expired code': await complete(expired.email!, expiredCode) });

      // The refusals changed nothing: the right code still works for the known login.
      const fresh = await askFor(withCode.email!);
      assert.equal((await complete(withCode.email!, fresh)).status, 204);
    });

    test('POST /v1/signup/complete: a free address with a wrong code and a taken address answer the same 400', async () => {
      const free = uniqueEmail();
      assert.equal((await t.request('POST', '/v1/signup', { body: { email: free } })).status, 202);
      const taken = await t.signUp();
      // Asking to sign up with a taken address tells its owner instead of sending a code.
      assert.equal((await t.request('POST', '/v1/signup', { body: { email: taken.email } })).status, 202);
      await t.drainJobs();
      const code = t.messages.lastCode(free);
      const complete = (email: string, c: string) =>
        t.request<Api<'Problem'>>('POST', '/v1/signup/complete', {
          body: { email, code: c, password: PASSWORD },
          ip: nextIp(),
        });

      const spentAddress = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email: spentAddress } });
      await t.drainJobs();
      const spentCode = t.messages.lastCode(spentAddress);
      for (let i = 0; i < 5; i++) await complete(spentAddress, wrongFor(spentCode));

      assertAlike({
        'a free address with a wrong code': await complete(free, wrongFor(code)),
        'a taken address': await complete(taken.email!, code),
        'an address that never asked': await complete(uniqueEmail(), '123456'),
        'a free address whose tries are spent, with the right code': await complete(spentAddress, spentCode),
      });
      assert.equal((await complete(free, code)).status, 201, 'the right code still works');
    });
  });
}
