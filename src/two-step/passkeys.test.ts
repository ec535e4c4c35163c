import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { relyingPartyOf } from './passkeys.js';
import { createTestApp, testDatabases, type TestAccount, type TestApp } from '../testing/test-app.js';
import { SoftwarePasskey } from '../testing/webauthn.js';
import { generate } from 'otplib';
import { deleteAccount, rowsOf } from '../deletion/test-helpers.js';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Api, BearerSession } from '../testing/api-types.js';

/** A sign-in's second-factor challenge for an account with a passkey: it carries WebAuthn request options. */
type PasskeyChallenge = Api<'SecondFactorChallenge'> & {
  secondFactor: { passkeyOptions: PublicKeyCredentialRequestOptionsJSON };
};

for (const database of testDatabases()) {
  describe(`passkeys (${database})`, () => {
    let t: TestApp;
    let rp: { id: string; origin: string };
    before(async () => {
      t = await createTestApp({ database, env: { LANYARD_BASE_URL: 'https://id.example.com' } });
      rp = relyingPartyOf(t.app.config.baseUrl);
    });
    after(async () => t.close());

    /** Registers a software passkey on the account, as the portal would with navigator.credentials.create(). */
    async function addPasskey(account: TestAccount, name = 'My laptop') {
      const passkey = new SoftwarePasskey(rp, account.id);
      const options = await t.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/options', {
        token: account.token,
      });
      assert.equal(options.status, 200, options.text);
      const added = await t.request<Api<'PasskeyAdded'>>('POST', '/v1/me/passkeys', {
        token: account.token,
        body: { name, response: passkey.create(options.body) },
      });
      assert.equal(added.status, 201, added.text);
      return { passkey, added: added.body };
    }

    test('a passkey is registered from creation options; the first factor comes with recovery codes', async () => {
      const account = await t.signUp();
      const options = await t.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/options', {
        token: account.token,
      });
      assert.equal(options.body.rp.id, 'id.example.com');
      assert.equal(options.body.attestation, 'none');
      assert.ok(options.body.challenge.length >= 16);
      const { added } = await addPasskey(account);
      assert.equal(added.passkey.name, 'My laptop');
      assert.equal(added.recoveryCodes?.length, 10);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token });
      assert.equal(security.body.passkeys.length, 1);
      assert.equal(security.body.passkeys[0]?.name, 'My laptop');
      assert.equal(security.body.passkeys[0]?.lastUsedAt, null);
      assert.equal(security.body.secondFactorRequired, true);
      // A second passkey is another factor, with no new codes.
      const second = await addPasskey(account, 'Security key');
      assert.equal(second.added.recoveryCodes, undefined);
      await t.drainJobs();
      assert.ok(t.messages.to(account.email!).some((m) => /A passkey was added/.test(m.text)));
    });

    test('a registration for another origin, or with a challenge not given out, is refused', async () => {
      const account = await t.signUp();
      const options = await t.request<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/me/passkeys/options', {
        token: account.token,
      });
      const phishing = new SoftwarePasskey({ id: rp.id, origin: 'https://id.example.com.evil.test' });
      const refused = await t.request<Api<'Problem'>>('POST', '/v1/me/passkeys', {
        token: account.token,
        body: { name: 'x', response: phishing.create(options.body) },
      });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, 'passkey.invalid');
      const unknown = await t.request<Api<'Problem'>>('POST', '/v1/me/passkeys', {
        token: account.token,
        body: { name: 'x', response: new SoftwarePasskey(rp).create({ challenge: 'bm90LWdpdmVuLW91dA' }) },
      });
      assert.equal(unknown.body.code, 'two_step.challenge_invalid');
      assert.equal(
        (await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: account.token })).body.passkeys.length,
        0,
      );
    });

    test('sign-in takes the passkey as the second factor', async () => {
      const account = await t.signUp();
      const { passkey } = await addPasskey(account);
      const first = await t.request<PasskeyChallenge>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password },
      });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.body.secondFactor.methods, ['passkey', 'recovery_code']);
      const { challengeId, passkeyOptions } = first.body.secondFactor;
      assert.deepEqual(
        passkeyOptions.allowCredentials?.map((c) => c.id),
        [passkey.id],
      );
      // Another account's passkey does not answer for this one.
      const stranger = await t.signUp();
      const { passkey: foreign } = await addPasskey(stranger);
      const wrong = await t.request<Api<'Problem'>>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'passkey', response: foreign.get(passkeyOptions) },
      });
      assert.equal(wrong.body.code, 'passkey.invalid');
      const done = await t.request<BearerSession>('POST', '/v1/sessions/second-factor', {
        body: { challengeId, method: 'passkey', response: passkey.get(passkeyOptions) },
      });
      assert.equal(done.status, 201, done.text);
      assert.equal(done.body.account.id, account.id);
      assert.equal((await t.request('GET', '/v1/me', { token: done.body.token })).status, 200);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token: done.body.token });
      assert.ok(security.body.passkeys[0]?.lastUsedAt);
    });

    test('passwordless sign-in with a passkey; its answer works once and only for our origin', async () => {
      const account = await t.signUp();
      const { passkey } = await addPasskey(account);
      const options = await t.request<PublicKeyCredentialRequestOptionsJSON>(
        'POST',
        '/v1/sessions/passkey/options',
        {},
      );
      assert.equal(options.status, 200, options.text);
      assert.equal(options.body.userVerification, 'required');
      const response = passkey.get(options.body);
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions/passkey', { body: { response } });
      assert.equal(signedIn.status, 201, signedIn.text);
      assert.equal(signedIn.body.account.id, account.id);
      assert.equal((await t.request('GET', '/v1/me', { token: signedIn.body.token })).status, 200);
      const replayed = await t.request<Api<'Problem'>>('POST', '/v1/sessions/passkey', { body: { response } });
      assert.equal(replayed.status, 400);
      assert.equal(replayed.body.token, undefined);

      const other = await t.request<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/sessions/passkey/options', {});
      const phished = await t.request<Api<'Problem'>>('POST', '/v1/sessions/passkey', {
        body: { response: passkey.get(other.body, { origin: 'https://evil.test' }) },
      });
      assert.equal(phished.status, 400);
      assert.equal(phished.body.code, 'passkey.invalid');
      const unknownKey = await t.request<Api<'Problem'>>('POST', '/v1/sessions/passkey', {
        body: { response: new SoftwarePasskey(rp).get(other.body) },
      });
      assert.equal(unknownKey.body.code, 'passkey.invalid');
    });

    test('re-authentication with a passkey, then removing it (the last factor) turns two-step off', async () => {
      const account = await t.signUp();
      const { passkey, added } = await addPasskey(account);
      t.clock.advance(11 * 60_000);
      const stale = await t.request<Api<'Problem'>>('DELETE', `/v1/me/passkeys/${added.passkey.id}`, {
        token: account.token,
      });
      assert.equal(stale.body.code, 'reauthentication_required');
      const options = await t.request<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/session/reauth/options', {
        token: account.token,
      });
      assert.equal(options.status, 200, options.text);
      const reauth = await t.request<Api<'Reauthenticated'>>('POST', '/v1/session/reauth', {
        token: account.token,
        body: { method: 'passkey', response: passkey.get(options.body) },
      });
      assert.ok(reauth.status === 204 || reauth.status === 200, reauth.text);
      const token = reauth.body?.token ?? account.token;
      assert.equal((await t.request('DELETE', `/v1/me/passkeys/${added.passkey.id}`, { token })).status, 204);
      const security = await t.request<Api<'SecurityView'>>('GET', '/v1/me/security', { token });
      assert.deepEqual(security.body.passkeys, []);
      assert.equal(security.body.secondFactorRequired, false);
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        201,
      );
      // Its answers no longer sign in.
      const later = await t.request<PublicKeyCredentialRequestOptionsJSON>('POST', '/v1/sessions/passkey/options', {});
      assert.equal(
        (
          await t.request<Api<'Problem'>>('POST', '/v1/sessions/passkey', {
            body: { response: passkey.get(later.body) },
          })
        ).body.code,
        'passkey.invalid',
      );
    });

    test('deleting the account erases its authenticator app, passkeys, recovery codes and challenges', async () => {
      const account = await t.signUp();
      await addPasskey(account);
      const totp = await t.request<Api<'TotpEnrolment'>>('POST', '/v1/me/totp', { token: account.token });
      const code = await generate({ secret: totp.body.secret, epoch: Math.floor(t.clock.now() / 1000) });
      assert.equal(
        (await t.request('POST', '/v1/me/totp/confirm', { token: account.token, body: { code } })).status,
        200,
      );
      assert.equal(
        (await t.request('POST', '/v1/sessions', { body: { login: account.email, password: account.password } }))
          .status,
        200,
      );
      const before = await rowsOf(t.app, account.id);
      for (const table of ['totp_factors', 'passkeys', 'recovery_codes', 'two_step_challenges'])
        assert.ok(before[table], `${table} holds the account before`);
      await deleteAccount(t, account);
      assert.deepEqual(await rowsOf(t.app, account.id), {});
    });

    test('passwordless sign-in options, asked without an account, are limited per IP', async () => {
      const ip = '203.0.113.77';
      const answers = [];
      for (let i = 0; i < 61; i++)
        answers.push((await t.request('POST', '/v1/sessions/passkey/options', { ip })).status);
      assert.deepEqual([...new Set(answers.slice(0, 60))], [200]);
      assert.equal(answers[60], 429);
      assert.equal((await t.request('POST', '/v1/sessions/passkey/options', { ip: '203.0.113.78' })).status, 200);
    });
  });
}
