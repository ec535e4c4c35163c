import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { linkDevice } from '../devices/test-factories.js';
import { createStaffMember } from '../testing/staff.js';
import { createTestApp, testDatabases, type TestApp } from '../testing/test-app.js';
import { allows, type Access, type Credential } from './access.js';
import { SESSION_COOKIE } from './auth.js';
import type { Api } from '../testing/api-types.js';

/**
 * What every operation of the OpenAPI document needs, as reviewed by a person. A route added without a
 * line here fails this test, and so does a route whose guard is not the one written here: a new route
 * cannot forget its guard, nor quietly let a device token manage the account.
 */
const EXPECTED: Record<string, Access> = {
  'GET /v1/openapi.json': 'anonymous',
  'GET /docs': 'anonymous',
  'GET /': 'anonymous',
  'GET /admin': 'anonymous',
  // The operator's probes and metrics (metrics has its own token, LANYARD_METRICS_TOKEN).
  'GET /healthz': 'anonymous',
  'GET /readyz': 'anonymous',
  'GET /metrics': 'anonymous',
  // Sign-up, sign-in, sessions.
  'POST /v1/signup': 'anonymous',
  'POST /v1/signup/complete': 'anonymous',
  'POST /v1/sessions': 'anonymous',
  'GET /v1/session': 'accountOrDevice',
  'GET /v1/sessions': 'account',
  'DELETE /v1/sessions/current': 'account',
  'DELETE /v1/sessions/others': 'fresh',
  'DELETE /v1/sessions/{id}': 'fresh',
  'POST /v1/session/reauth': 'account',
  'POST /v1/session/reauth/options': 'account',
  'POST /v1/sessions/second-factor': 'anonymous',
  'POST /v1/sessions/passkey/options': 'anonymous',
  'POST /v1/sessions/passkey': 'anonymous',
  // The account.
  'GET /v1/me': 'account',
  'PATCH /v1/me': 'account',
  'POST /v1/me/email': 'fresh',
  'POST /v1/me/email/confirm': 'fresh',
  'POST /v1/me/phone': 'fresh',
  'POST /v1/me/phone/confirm': 'fresh',
  'POST /v1/me/password': 'fresh',
  'GET /v1/me/events': 'account',
  'GET /v1/me/unlock-requests': 'account',
  'POST /v1/address-changes/undo': 'anonymous',
  // Two-step verification: reading is an account's; changing it hands the account over, so it is fresh.
  'GET /v1/me/security': 'account',
  'POST /v1/me/totp': 'fresh',
  'POST /v1/me/totp/confirm': 'fresh',
  'DELETE /v1/me/totp': 'fresh',
  'POST /v1/me/passkeys/options': 'fresh',
  'POST /v1/me/passkeys': 'fresh',
  'DELETE /v1/me/passkeys/{id}': 'fresh',
  'POST /v1/me/recovery-codes': 'fresh',
  'POST /v1/me/lock': 'account',
  'POST /v1/account-lock': 'anonymous',
  // Recovery and captcha.
  'GET /v1/captcha': 'anonymous',
  'POST /v1/recovery': 'anonymous',
  'POST /v1/recovery/complete': 'anonymous',
  'POST /v1/recovery/cancel': 'anonymous',
  // Devices: the owner's side, then the device's own.
  'POST /v1/devices': 'account',
  'GET /v1/devices': 'account',
  'GET /v1/devices/{id}': 'account',
  'DELETE /v1/devices/{id}': 'fresh',
  'POST /v1/devices/{id}/commands': 'account',
  'GET /v1/devices/{id}/commands': 'account',
  'GET /v1/device': 'device',
  'POST /v1/device/sign-out': 'device',
  'GET /v1/device/commands': 'device',
  'GET /v1/device/commands/stream': 'device',
  'POST /v1/device/commands/{id}/result': 'device',
  'GET /v1/activation/{serial}': 'anonymous',
  // The cloud, which devices sync and people browse.
  'GET /v1/cloud': 'accountOrDevice',
  'GET /v1/cloud/{collection}': 'accountOrDevice',
  'PUT /v1/cloud/{collection}/{itemId}': 'accountOrDevice',
  'GET /v1/cloud/{collection}/{itemId}': 'accountOrDevice',
  'DELETE /v1/cloud/{collection}/{itemId}': 'accountOrDevice',
  'GET /v1/cloud/{collection}/{itemId}/thumbnail': 'accountOrDevice',
  'POST /v1/cloud/{collection}/batch': 'accountOrDevice',
  // Export and deletion: what hands the account's data over, or ends it.
  'POST /v1/me/export': 'fresh',
  'GET /v1/me/export/{id}': 'account',
  'GET /v1/me/export/{id}/download': 'fresh',
  'GET /v1/me/deletion': 'account',
  'POST /v1/me/deletion': 'fresh',
  'POST /v1/me/deletion/{id}/confirm': 'fresh',
  'GET /v1/deletion/cancel': 'anonymous',
  'POST /v1/deletion/cancel': 'anonymous',
  // Apps.
  'GET /.well-known/openid-configuration': 'anonymous',
  'GET /v1/apps': 'account',
  'DELETE /v1/apps/{clientId}': 'account',
  // Credits: the person's wallet, and the spend API for apps' tokens with credits:spend.
  'GET /v1/me/credits': 'account',
  'POST /v1/credits/spend': 'account',
  // Bootloader unlock: the published keys, and the device asking for itself.
  'GET /v1/bootloader/key': 'anonymous',
  'POST /v1/device/bootloader-unlock': 'device',
  // Unlock requests.
  'POST /v1/unlock-requests': 'anonymous',
  'GET /v1/unlock-requests/{id}': 'anonymous',
  'POST /v1/unlock-requests/{id}/proofs': 'anonymous',
  'POST /v1/unlock-requests/{id}/object': 'account',
  // Staff.
  'POST /v1/admin/apps': 'admin',
  'GET /v1/admin/apps': 'admin',
  'GET /v1/admin/apps/{clientId}': 'admin',
  'PATCH /v1/admin/apps/{clientId}': 'admin',
  'DELETE /v1/admin/apps/{clientId}': 'admin',
  'POST /v1/admin/apps/{clientId}/secret': 'admin',
  'GET /v1/admin/unlock-requests': 'support',
  'GET /v1/admin/unlock-requests/{id}': 'support',
  'GET /v1/admin/unlock-requests/{id}/proofs/{proofId}': 'support',
  'POST /v1/admin/unlock-requests/{id}/approve': 'support',
  'POST /v1/admin/unlock-requests/{id}/reject': 'support',
  'POST /v1/admin/webhooks': 'admin',
  'GET /v1/admin/webhooks': 'admin',
  'DELETE /v1/admin/webhooks/{id}': 'admin',
  'GET /v1/admin/webhooks/{id}/deliveries': 'admin',
  'POST /v1/admin/accounts/{id}/credits': 'admin',
  'POST /v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver': 'admin',
  'POST /v1/admin/webhooks/{id}/secret': 'admin',
  'GET /v1/admin/accounts/{id}/credits': 'support',
  // Staff: looking people's accounts up and acting on them is support's; the staff list is admin's.
  'GET /v1/admin/accounts': 'support',
  'GET /v1/admin/accounts/{id}': 'support',
  'POST /v1/admin/accounts/{id}/reveal': 'support',
  'POST /v1/admin/accounts/{id}/suspend': 'support',
  'POST /v1/admin/accounts/{id}/restore': 'support',
  'DELETE /v1/admin/accounts/{id}/sessions': 'support',
  'GET /v1/admin/audit': 'support',
  'GET /v1/admin/staff': 'admin',
  'POST /v1/admin/staff': 'admin',
  'DELETE /v1/admin/staff/{accountId}': 'admin',
};

/** One way of calling: what it holds (see ./access.ts) and the headers it sends. */
interface Caller {
  name: string;
  holds: Credential[];
  /** A cookie session that leaves out the CSRF token: every state change must fail on that alone. */
  withoutCsrf?: boolean;
  headers(): Record<string, string>;
}

interface Minted {
  tokens: string[];
  callers: Caller[];
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const STAFF_PASSWORD = 'staff passphrase for the table';
/** Path parameters: a real collection (so that the cloud's own checks pass), made-up ids elsewhere. */
const PARAMS: Record<string, string> = { collection: 'notes', itemId: 'table-item', serial: 'TABLE-SERIAL-1' };

for (const database of testDatabases()) {
  describe(`every operation against every kind of credential (${database})`, () => {
    let t: TestApp;
    let base: string;
    let doc: { paths: Record<string, Record<string, { 'x-access'?: string; requestBody?: unknown }>> };
    let minted: Minted;

    const bearer = (token: string) => () => ({ authorization: `Bearer ${token}` });
    const cookie = (token: string, csrf?: string) => () => ({
      cookie: `${SESSION_COOKIE}=${token}`,
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
    });

    const signIn = async (
      login: string,
      password: string,
      kind: 'api' | 'web',
    ): Promise<{ token: string; csrf: string }> => {
      const signedIn = await t.request<Api<'SessionIssued'>>('POST', '/v1/sessions', {
        body: { login, password, kind },
      });
      assert.equal(signedIn.status, 201, signedIn.text);
      const setCookie = [signedIn.headers['set-cookie'] ?? []]
        .flat()
        .map(String)
        .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
      const token = kind === 'web' ? setCookie?.slice(SESSION_COOKIE.length + 1).split(';')[0] : signedIn.body.token;
      assert.ok(token, `a ${kind} sign-in gives its token`);
      const session = await t.request<Api<'CurrentSession'>>(
        'GET',
        '/v1/session',
        kind === 'web' ? { cookies: { [SESSION_COOKIE]: token } } : { token },
      );
      assert.equal(session.status, 200, session.text);
      return { token, csrf: session.body.csrfToken };
    };

    /**
     * A full set of callers, made through the API: a person's device token, stale and fresh sessions by
     * bearer and by cookie, staff of each role, and an admin's device token (a device, whoever owns it).
     */
    const mint = async (): Promise<Minted> => {
      // Staff of their own each time: an operation may have ended (or locked) the previous ones. Each has
      // the authenticator app that staff routes require.
      const support = await createStaffMember(t, 'support', { password: STAFF_PASSWORD });
      const admin = await createStaffMember(t, 'admin', { password: STAFF_PASSWORD });
      const person = await t.signUp();
      const device = await linkDevice(t, person);
      const adminDevice = await linkDevice(t, { ...person, token: admin.token });
      const staleBearer = await signIn(person.email!, person.password, 'api');
      const staleWeb = await signIn(person.email!, person.password, 'web');
      t.clock.advance(11 * 60_000);
      const freshBearer = await signIn(person.email!, person.password, 'api');
      const freshWeb = await signIn(person.email!, person.password, 'web');
      const callers: Caller[] = [
        { name: 'no credential', holds: [], headers: () => ({}) },
        { name: 'device token', holds: ['device'], headers: bearer(device.token) },
        { name: "a staff admin's device token", holds: ['device'], headers: bearer(adminDevice.token) },
        { name: 'stale account bearer', holds: ['account'], headers: bearer(staleBearer.token) },
        { name: 'stale account cookie + CSRF', holds: ['account'], headers: cookie(staleWeb.token, staleWeb.csrf) },
        { name: 'fresh account bearer', holds: ['freshAccount'], headers: bearer(freshBearer.token) },
        {
          name: 'fresh account cookie + CSRF',
          holds: ['freshAccount'],
          headers: cookie(freshWeb.token, freshWeb.csrf),
        },
        {
          name: 'fresh account cookie without CSRF',
          holds: ['freshAccount'],
          withoutCsrf: true,
          headers: cookie(freshWeb.token),
        },
        { name: 'staff support (stale)', holds: ['account', 'support'], headers: bearer(support.token) },
        { name: 'staff admin (stale)', holds: ['account', 'support', 'admin'], headers: bearer(admin.token) },
      ];
      return {
        tokens: [
          device.token,
          adminDevice.token,
          support.token,
          admin.token,
          staleBearer.token,
          staleWeb.token,
          freshBearer.token,
          freshWeb.token,
        ],
        callers,
      };
    };

    /** Some operations end sessions (sign out, end the others): then every caller is made again. */
    const allAlive = async () => {
      for (const token of minted.tokens) if (!(await t.app.services.sessions.authenticate(token))) return false;
      return true;
    };

    before(async () => {
      t = await createTestApp({ database });
      base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
      doc = (await t.request<typeof doc>('GET', '/v1/openapi.json')).body;
      minted = await mint();
    });
    after(async () => t.close());

    const operations = () =>
      Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods)
          .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete'].includes(method))
          .map(([method, operation]) => ({
            key: `${method.toUpperCase()} ${path}`,
            method: method.toUpperCase(),
            path,
            operation,
          })),
      );

    test('every operation in the document is in the table, declares the same access (x-access), and the table has no stale rows', () => {
      const keys = operations().map((o) => o.key);
      assert.deepEqual(
        keys.filter((key) => !(key in EXPECTED)),
        [],
        'operations missing from the table: add each with the access it needs',
      );
      assert.deepEqual(
        Object.keys(EXPECTED).filter((key) => !keys.includes(key)),
        [],
        'rows of the table with no operation',
      );
      for (const { key, operation } of operations())
        assert.equal(operation['x-access'], EXPECTED[key], `${key} declares ${operation['x-access']}`);
    });

    test('each credential gets in exactly where the table lets it, and is refused with the right code elsewhere', async () => {
      let probes = 0;
      for (const { key, method, path, operation } of operations()) {
        const access = EXPECTED[key];
        if (!access) continue; // reported by the test above
        for (let i = 0; i < minted.callers.length; i++) {
          if (!(await allAlive())) minted = await mint();
          const caller = minted.callers[i]!;
          const url =
            base +
            path.replace(/\{(\w+)\}/g, (_, name: string) => PARAMS[name] ?? '01938d2e-7c1a-7000-8000-00000000beef');
          const headers: Record<string, string> = { ...caller.headers() };
          let body: string | undefined;
          if (operation.requestBody) {
            headers['content-type'] = 'application/json';
            body = '{}';
          }
          // Fetched over a socket, not injected: an event stream answers its headers and is then let go.
          const controller = new AbortController();
          const response = await fetch(url, {
            method,
            headers,
            ...(body !== undefined ? { body } : {}),
            signal: controller.signal,
            redirect: 'manual',
          });
          const text = /json/.test(response.headers.get('content-type') ?? '') ? await response.text() : '';
          controller.abort();
          probes += 1;
          const where: string = `${key} with ${caller.name} (${access}): ${response.status} ${text.slice(0, 300)}`;
          const code = text ? (JSON.parse(text) as { code?: string }).code : undefined;
          if (access !== 'anonymous' && caller.withoutCsrf && !SAFE.has(method)) {
            assert.equal(response.status, 403, where);
            assert.equal(code, 'csrf_failed', where);
          } else if (allows(access, caller.holds)) {
            assert.ok(response.status !== 401 && response.status !== 403, where);
          } else if (caller.holds.length === 0) {
            assert.equal(response.status, 401, where);
            assert.equal(code, 'unauthenticated', where);
          } else {
            assert.equal(response.status, 403, where);
            assert.equal(
              code,
              access === 'fresh' && caller.holds.includes('account') ? 'reauthentication_required' : 'forbidden',
              where,
            );
          }
        }
      }
      assert.equal(probes, operations().length * minted.callers.length, 'every operation with every caller');
    });

    test("a GET's automatic HEAD twin has the same guard", async () => {
      assert.equal((await t.request('HEAD', '/v1/me')).status, 401);
      const device = minted.callers.find((c) => c.name === 'device token')!;
      assert.equal((await t.request('HEAD', '/v1/me', { headers: device.headers() })).status, 403);
    });
  });
}
