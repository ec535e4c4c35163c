import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Payload } from 'altcha-lib';
import { after, before, describe, test } from 'node:test';
import { QUICK_CAPTCHA_ENV, solveCaptcha, solvedCaptcha } from '../testing/captcha.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const REDIS_URL = process.env.LANYARD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function decode(payload: string): Payload {
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
}
function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

describe('captcha challenge at the default difficulty', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test("GET /v1/captcha serves an ALTCHA v2 challenge that altcha-lib's own solver answers", async () => {
    const served = await t.request<Api<'CaptchaChallenge'>>('GET', '/v1/captcha');
    assert.equal(served.status, 200);
    assert.equal(served.headers['cache-control'], 'no-store');
    const { parameters, signature } = served.body;
    assert.equal(parameters.algorithm, 'PBKDF2/SHA-256');
    assert.match(signature, /^[0-9a-f]{64}$/);
    assert.match(parameters.keySignature ?? '', /^[0-9a-f]{64}$/);
    const lifetime = parameters.expiresAt - Date.now() / 1000;
    assert.ok(lifetime > 590 && lifetime <= 600, `expires in ${lifetime} s`);
    const captcha = await solveCaptcha(served.body);
    const account = await t.signUp();
    assert.equal(
      (await t.request('POST', '/v1/recovery', { body: { login: account.email, channel: 'email', captcha } })).status,
      202,
    );
  });
});

for (const database of testDatabases()) {
  describe(`sign-in captcha after repeated failures (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
    });
    after(async () => t.close());

    /** A sign-in whose answer is read only when it is refused. */
    const signIn = (login: string, password: string, ip: string, captcha?: string) =>
      t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login, password, ...(captcha ? { captcha } : {}) },
        ip,
      });

    test('four failures do not ask for a captcha', async () => {
      const account = await t.signUp();
      for (let i = 0; i < 4; i++) assert.equal((await signIn(account.email!, `wrong ${i}`, '192.0.2.1')).status, 401);
      assert.equal((await signIn(account.email!, account.password, '192.0.2.1')).status, 201);
    });

    test('after 5 failures for one login, from any IPs, its sign-in asks for a captcha and proceeds with a solved one', async () => {
      const account = await t.signUp();
      for (let i = 0; i < 5; i++)
        assert.equal((await signIn(account.email!, `wrong ${i}`, `192.0.2.${10 + i}`)).status, 401);
      const asked = await signIn(account.email!, account.password, '192.0.2.30');
      assert.equal(asked.status, 400);
      assert.equal(asked.body.code, 'captcha_required');
      assert.equal(asked.body.reason, 'missing');
      // A wrong password with a captcha is still just a wrong password.
      assert.equal(
        (await signIn(account.email!, 'still wrong', '192.0.2.30', await solvedCaptcha(t, '192.0.2.30'))).status,
        401,
      );
      const captcha = await solvedCaptcha(t, '192.0.2.30');
      assert.equal((await signIn(account.email!, account.password, '192.0.2.30', captcha)).status, 201);
      const replayed = await signIn(account.email!, account.password, '192.0.2.30', captcha);
      assert.equal(replayed.body.reason, 'used');
      // Another login from the same IP is not concerned.
      const other = await t.signUp();
      assert.equal((await signIn(other.email!, other.password, '192.0.2.30')).status, 201);
    });

    test('after 5 failures from one IP, any login from that IP needs a captcha; elsewhere it does not', async () => {
      const account = await t.signUp();
      const ip = '198.51.100.66';
      for (let i = 0; i < 5; i++) assert.equal((await signIn(uniqueEmail('unknown'), 'some password', ip)).status, 401);
      assert.equal((await signIn(account.email!, account.password, ip)).body.code, 'captcha_required');
      assert.equal((await signIn(account.email!, account.password, ip, await solvedCaptcha(t, ip))).status, 201);
      assert.equal((await signIn(account.email!, account.password, '198.51.100.67')).status, 201);
    });

    test('an unknown login asks for a captcha exactly like a known one', async () => {
      const account = await t.signUp();
      const unknown = uniqueEmail('ghost');
      const answers = [];
      for (const login of [account.email!, unknown]) {
        for (let i = 0; i < 5; i++) await signIn(login, `wrong ${i}`, `203.0.113.${i + (login === unknown ? 50 : 10)}`);
        answers.push(await signIn(login, 'one more guess', '203.0.113.99'));
      }
      const [known, ghost] = answers.map((a) => ({ status: a.status, body: { ...a.body, requestId: undefined } }));
      assert.deepEqual(known, ghost);
      assert.equal(known!.body.code, 'captcha_required');
    });

    test('a forged, tampered or foreign captcha is refused as invalid', async () => {
      const account = await t.signUp();
      for (let i = 0; i < 5; i++) await signIn(account.email!, `wrong ${i}`, '192.0.2.77');
      const good = decode(await solvedCaptcha(t, '192.0.2.77'));
      const foreignApp = await createTestApp({ env: QUICK_CAPTCHA_ENV });
      const foreign = await solvedCaptcha(foreignApp, '192.0.2.77');
      await foreignApp.close();
      const tampered = [
        // The signed prefix is half the key: the other half must be computed, not guessed.
        encode({
          ...good,
          solution: { ...good.solution, derivedKey: `${good.challenge.parameters.keyPrefix}${'0'.repeat(32)}` },
        }),
        encode({ ...good, solution: { ...good.solution, derivedKey: 'ab'.repeat(32) } }),
        encode({
          ...good,
          challenge: {
            ...good.challenge,
            parameters: { ...good.challenge.parameters, expiresAt: good.challenge.parameters.expiresAt! + 3600 },
          },
        }),
        encode({ challenge: { ...good.challenge, signature: undefined }, solution: good.solution }),
        encode({
          ...good,
          challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, nonce: 'abc' } },
        }),
        foreign,
        'not even base64 !!!',
        encode([1, 2, 3]),
      ];
      for (const captcha of tampered) {
        const answer = await signIn(account.email!, account.password, '192.0.2.77', captcha);
        assert.equal(answer.status, 400, captcha);
        assert.equal(answer.body.code, 'captcha_required');
        assert.equal(answer.body.reason, 'invalid', captcha);
      }
      // The genuine one, untouched by the attempts, still works.
      assert.equal((await signIn(account.email!, account.password, '192.0.2.77', encode(good))).status, 201);
    });
  });
}

describe('sign-in captcha counted across instances through Redis', () => {
  const env = {
    ...QUICK_CAPTCHA_ENV,
    LANYARD_REDIS_URL: REDIS_URL,
    LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
  };
  let first: TestApp;
  let second: TestApp;
  before(async () => {
    first = await createTestApp({ env });
    second = await createTestApp({ env });
  });
  after(async () => Promise.all([first.close(), second.close()]));

  test('failures on one instance make the other ask for a captcha', async () => {
    const email = uniqueEmail('shared');
    for (let i = 0; i < 5; i++) {
      const failed = await (i % 2 === 0 ? first : second).request('POST', '/v1/sessions', {
        body: { login: email, password: `guess ${i}` },
        ip: `192.0.2.${120 + i}`,
      });
      assert.equal(failed.status, 401);
    }
    const asked = await second.request<Api<'Problem'>>('POST', '/v1/sessions', {
      body: { login: email, password: 'next guess' },
      ip: '192.0.2.140',
    });
    assert.equal(asked.body.code, 'captcha_required');
    // A captcha solved from one instance is accepted by the other: they share their keys.
    const captcha = await solvedCaptcha(first, '192.0.2.140');
    assert.equal(
      (
        await second.request('POST', '/v1/sessions', {
          body: { login: email, password: 'next guess', captcha },
          ip: '192.0.2.140',
        })
      ).status,
      401,
    );
  });
});
