import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { QUICK_CAPTCHA_ENV, signInSolvingCaptcha } from '../testing/captcha.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp } from '../testing/test-app.js';
import type { Api } from '../testing/api-types.js';

const REDIS_URL = process.env.LANYARD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

function ipNumber(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

for (const database of testDatabases()) {
  describe(`rate limits (${database})`, () => {
    let t: TestApp;
    // From the 5th failure on, sign-in also asks for a captcha; these tests solve it as a person would
    // (signInSolvingCaptcha), so that what they check is the rate limits behind it.
    before(async () => {
      t = await createTestApp({ database, env: QUICK_CAPTCHA_ENV });
    });
    after(async () => t.close());

    test('after 10 failed sign-ins for one login from one IP, that pair is refused even with the right password', async () => {
      const account = await t.signUp();
      const attacker = '192.0.2.10';
      for (let i = 0; i < 10; i++) {
        const failed = await signInSolvingCaptcha(t, {
          body: { login: account.email, password: `guess number ${i}` },
          ip: attacker,
        });
        assert.equal(failed.status, 401);
      }
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        ip: attacker,
      });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, 'rate_limited');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
      // The owner, elsewhere, is not locked out.
      assert.equal(
        (
          await signInSolvingCaptcha(t, {
            body: { login: account.email, password: account.password },
            ip: '192.0.2.99',
          })
        ).status,
        201,
      );
      const events = await t.request<Api<'SecurityEventList'>>('GET', '/v1/me/events', { token: account.token });
      assert.ok(
        events.body.events.some(
          (e: { type: string; ip: string }) => e.type === 'sign_in.failures_burst' && e.ip === attacker,
        ),
      );
    });

    test('a correct password clears the failures of that login from that IP', async () => {
      const account = await t.signUp();
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 9; i++)
          await signInSolvingCaptcha(t, { body: { login: account.email, password: `wrong ${i}` }, ip: '192.0.2.20' });
        assert.equal(
          (
            await signInSolvingCaptcha(t, {
              body: { login: account.email, password: account.password },
              ip: '192.0.2.20',
            })
          ).status,
          201,
        );
      }
    });

    test('100 failures for one login from many IPs in an hour lock that login for every IP', async () => {
      const account = await t.signUp();
      for (let i = 0; i < 100; i++) {
        const failed = await signInSolvingCaptcha(t, {
          body: { login: account.email, password: `spray ${i}` },
          ip: ipNumber(1000 + i),
        });
        assert.equal(failed.status, 401, `attempt ${i}`);
      }
      const refused = await t.request('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        ip: '198.51.100.77',
      });
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
    });

    test('one IP failing across 100 logins is refused for any login', async () => {
      const account = await t.signUp();
      const sprayer = '203.0.113.200';
      for (let i = 0; i < 100; i++) {
        const failed = await signInSolvingCaptcha(t, {
          body: { login: `victim-${i}@example.com`, password: 'Summer2026!' },
          ip: sprayer,
        });
        assert.equal(failed.status, 401);
      }
      const refused = await t.request('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
        ip: sprayer,
      });
      assert.equal(refused.status, 429);
    });

    test('one IP asking for codes to many addresses is capped', async () => {
      const ip = '198.51.100.30';
      for (let i = 0; i < 30; i++)
        assert.equal((await t.request('POST', '/v1/signup', { body: { email: uniqueEmail() }, ip })).status, 202);
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/signup', { body: { email: uniqueEmail() }, ip });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, 'rate_limited');
    });

    test('re-authentication and password changes are limited like sign-in', async () => {
      const account = await t.signUp();
      const ip = '198.51.100.40';
      for (let i = 0; i < 10; i++) {
        assert.equal(
          (await t.request('POST', '/v1/session/reauth', { token: account.token, body: { password: `nope ${i}` }, ip }))
            .status,
          401,
        );
      }
      assert.equal(
        (
          await t.request('POST', '/v1/session/reauth', {
            token: account.token,
            body: { password: account.password },
            ip,
          })
        ).status,
        429,
      );
      const change = await t.request('POST', '/v1/me/password', {
        token: account.token,
        body: { currentPassword: account.password, newPassword: 'a fresh new passphrase' },
        ip,
      });
      assert.equal(change.status, 429);
    });
  });
}

describe('rate limits shared through Redis', () => {
  const masterKey = randomBytes(32).toString('hex');
  let first: TestApp;
  let second: TestApp;
  let redis: Redis;
  before(async () => {
    const env = { LANYARD_REDIS_URL: REDIS_URL, LANYARD_MASTER_KEY: masterKey };
    first = await createTestApp({ env });
    second = await createTestApp({ env });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    redis.disconnect();
  });

  test('two server instances count codes to one address together', async () => {
    const email = uniqueEmail('shared');
    for (let i = 0; i < 5; i++) {
      const instance = i % 2 === 0 ? first : second;
      assert.equal(
        (await instance.request('POST', '/v1/signup', { body: { email }, ip: `192.0.2.${50 + i}` })).status,
        202,
      );
    }
    for (const instance of [first, second]) {
      const refused = await instance.request<Api<'Problem'>>('POST', '/v1/signup', {
        body: { email },
        ip: '192.0.2.60',
      });
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, 'rate_limited');
    }
  });

  test('Redis holds keyed hashes, never the address or login', async () => {
    const email = uniqueEmail('private');
    await first.request('POST', '/v1/signup', { body: { email } });
    await first.request('POST', '/v1/sessions', { body: { login: email, password: 'whatever it is' } });
    const keys = await redis.keys('lanyard:rl:*');
    assert.ok(keys.length > 0);
    for (const key of keys) {
      assert.ok(!key.includes('@') && !key.includes(email.split('@')[0]!), key);
    }
  });
});

describe('rate limits switched off for load tests', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { LANYARD_RATE_LIMIT: 'off' } });
  });
  after(async () => t.close());

  test('LANYARD_RATE_LIMIT=off lets every request through', async () => {
    const email = uniqueEmail();
    for (let i = 0; i < 8; i++) assert.equal((await t.request('POST', '/v1/signup', { body: { email } })).status, 202);
  });
});
