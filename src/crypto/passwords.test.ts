import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { Api, BearerSession } from '../testing/api-types.js';

// Made by node-argon2 0.45.1 (the library Lanyard used before @node-rs/argon2) with the same parameters;
// it writes its parameters in the order m, p, t. Every account made before the move holds a string like it.
const OLD_LIBRARY_PASSWORD = 'correct horse battery staple';
const OLD_LIBRARY_HASH =
  '$argon2id$v=19$m=19456,p=1,t=2$1cG+gnDyxAvwmXQzAxNo5Q$4Z4j/eSB4aIEkabrn8YpmIzz44RRlMX21AHaGecWXoI';

describe('password hashing', () => {
  test('writes argon2id PHC strings with 19 MiB, 2 passes and 1 lane', async () => {
    const hash = await hashPassword('a password of some length');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword(hash, 'a password of some length'), true);
    assert.equal(await verifyPassword(hash, 'another password'), false);
  });

  test('a hash made by the old library verifies with the new one', async () => {
    assert.equal(await verifyPassword(OLD_LIBRARY_HASH, OLD_LIBRARY_PASSWORD), true);
    assert.equal(await verifyPassword(OLD_LIBRARY_HASH, `${OLD_LIBRARY_PASSWORD}!`), false);
  });

  test('an unreadable stored hash and an unknown login refuse without throwing', async () => {
    assert.equal(await verifyPassword('not a PHC string', 'whatever'), false);
    assert.equal(await verifyPassword(undefined, 'whatever'), false);
  });

  test('the event loop keeps turning while a hash is computed', async () => {
    // The async API runs argon2 on libuv's thread pool: immediates scheduled meanwhile run before the
    // hash is done. A hash on the event loop would finish first and leave the count at zero.
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    const hashed = hashPassword('keeps the loop free');
    await hashed;
    done = true;
    assert.ok(turns > 1, `the event loop turned ${turns} times during the hash`);
  });
});

for (const database of testDatabases()) {
  describe(`sign-in with a hash of the old library (${database})`, () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ database });
    });
    after(async () => t.close());

    test('an account whose stored hash was made by node-argon2 signs in with its password', async () => {
      const account = await t.signUp();
      await t.app.database.db
        .updateTable('accounts')
        .set({ password_hash: OLD_LIBRARY_HASH })
        .where('id', '=', account.id)
        .execute();
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, 'invalid_credentials');
      const signIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: OLD_LIBRARY_PASSWORD },
      });
      assert.equal(signIn.status, 201, signIn.text);
      assert.equal(signIn.body.account.id, account.id);
      assert.equal((await t.request('GET', '/v1/me', { token: signIn.body.token })).status, 200);
    });
  });
}
