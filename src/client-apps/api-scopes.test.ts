import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { makeImage } from '../cloud/test-images.js';
import { assertProblem } from '../testing/problems.js';
import { testDatabases, type TestAccount, type TestResponse } from '../testing/test-app.js';
import {
  authorizationRequest,
  Browser,
  relyingParty,
  startListeningApp,
  type ListeningApp,
} from './test-relying-party.js';
import type { Api } from '../testing/api-types.js';

// The scopes of Lanyard's API (API.md, "Apps' access tokens on the API"): an app's access token,
// obtained by openid-client through the whole code flow, reaches what its scopes name and nothing else:
// cloud.photos:read and cloud.contacts:read their collection's reads, devices:write the commands.

const REDIRECT = 'https://gallery.example.com/cb';

for (const database of testDatabases()) {
  describe(`apps: API scopes of apps' access tokens (${database})`, () => {
    let s: ListeningApp;
    let rp: client.Configuration;
    let account: TestAccount;
    let image: Buffer;

    before(async () => {
      s = await startListeningApp(database);
      const registered = await s.t.request<Api<'AppCreated'>>('POST', '/v1/admin/apps', {
        token: s.admin,
        body: {
          name: 'Gallery',
          type: 'web',
          redirectUris: [REDIRECT],
          scopes: ['openid', 'cloud.photos:read', 'cloud.contacts:read', 'devices:read', 'devices:write'],
        },
      });
      assert.equal(registered.status, 201, registered.text);
      rp = await relyingParty(s.baseUrl, registered.body.clientId, registered.body.clientSecret);

      account = await s.t.signUp();
      image = await makeImage('png', 400, 300);
      const put = (url: string, options: Parameters<typeof s.t.request>[2]) =>
        s.t.request('PUT', url, { token: account.token, ...options }).then((r) => assert.equal(r.status, 200, r.text));
      await put('/v1/cloud/photos/IMG_1', { payload: image, headers: { 'content-type': 'image/png' } });
      await put('/v1/cloud/contacts/c1', { body: { name: 'Eva', phone: '+34600000001' } });
      await put('/v1/cloud/notes/n1', { body: { text: 'private note' } });
      await s.t.drainJobs();
    });
    after(async () => s?.close());

    /** An access token for Lanyard's API with these scopes, as the app gets it. */
    async function tokenFor(scope: string): Promise<string> {
      const resource = `${s.baseUrl}/v1`;
      const browser = new Browser(s.baseUrl);
      const { url, verifier, state } = await authorizationRequest(rp, {
        redirect_uri: REDIRECT,
        scope: `openid ${scope}`,
        resource,
      });
      const signIn = await browser.go('GET', url.href);
      const consent = await browser.submit(signIn.text, /\/login$/, {
        login: account.email!,
        password: account.password,
      });
      const back = await browser.submit(consent.text, /\/consent$/, { decision: 'allow' });
      const tokens = await client.authorizationCodeGrant(
        rp,
        new URL(back.left!),
        { pkceCodeVerifier: verifier, expectedState: state },
        { resource },
      );
      assert.equal(tokens.scope, scope);
      return tokens.access_token;
    }

    const refused = (response: TestResponse, scope?: string) => {
      assertProblem(response, 403, 'insufficient_scope');
      const challenge = String(response.headers['www-authenticate']);
      assert.match(challenge, /^Bearer error="insufficient_scope"/);
      if (scope) assert.match(challenge, new RegExp(`scope="${scope}"`));
    };

    test('cloud.photos:read lists, reads and gets the thumbnail of photos, and nothing else of the cloud', async () => {
      const headers = { authorization: `Bearer ${await tokenFor('cloud.photos:read')}` };
      const listed = await s.t.request<Api<'Changes'>>('GET', '/v1/cloud/photos', { headers });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.items.map((i: { id: string }) => i.id),
        ['IMG_1'],
      );
      const photo = await s.t.app.http.inject({ method: 'GET', url: '/v1/cloud/photos/IMG_1', headers });
      assert.equal(photo.statusCode, 200);
      assert.ok(photo.rawPayload.equals(image), 'the original bytes');
      const thumbnail = await s.t.request('GET', '/v1/cloud/photos/IMG_1/thumbnail', { headers });
      assert.equal(thumbnail.status, 200);
      assert.equal(thumbnail.headers['content-type'], 'image/webp');

      refused(await s.t.request('GET', '/v1/cloud/contacts', { headers }), 'cloud.contacts:read');
      refused(await s.t.request('GET', '/v1/cloud/contacts/c1', { headers }), 'cloud.contacts:read');
      refused(await s.t.request('GET', '/v1/cloud/notes', { headers }));
      refused(await s.t.request('GET', '/v1/cloud/notes/n1', { headers }));
      refused(await s.t.request('GET', '/v1/cloud', { headers }));
      refused(
        await s.t.request('PUT', '/v1/cloud/photos/IMG_2', {
          headers: { ...headers, 'content-type': 'image/png' },
          payload: image,
        }),
      );
      refused(await s.t.request('DELETE', '/v1/cloud/photos/IMG_1', { headers }));
      refused(
        await s.t.request('POST', '/v1/cloud/contacts/batch', { headers, body: { ops: [{ op: 'delete', id: 'c1' }] } }),
      );
      refused(await s.t.request('GET', '/v1/devices', { headers }), 'devices:read');
      // Nothing was changed by the refused calls.
      assert.equal(
        (await s.t.request('GET', '/v1/cloud/photos/IMG_1/thumbnail', { token: account.token })).status,
        200,
      );
      assert.equal((await s.t.request('GET', '/v1/cloud/contacts/c1', { token: account.token })).status, 200);
    });

    test('cloud.contacts:read lists and reads contacts only; a token with both scopes reads both', async () => {
      const headers = { authorization: `Bearer ${await tokenFor('cloud.contacts:read')}` };
      const listed = await s.t.request<Api<'Changes'>>('GET', '/v1/cloud/contacts', { headers });
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(
        listed.body.items.map((i) => [i.id, (i.data as { name: string }).name]),
        [['c1', 'Eva']],
      );
      const item = await s.t.request<Api<'Item'>>('GET', '/v1/cloud/contacts/c1', { headers });
      assert.equal(item.status, 200, item.text);
      assert.equal((item.body.data as { phone: string }).phone, '+34600000001');
      refused(await s.t.request('GET', '/v1/cloud/photos', { headers }), 'cloud.photos:read');
      refused(await s.t.request('GET', '/v1/cloud/photos/IMG_1', { headers }), 'cloud.photos:read');
      refused(await s.t.request('GET', '/v1/cloud/photos/IMG_1/thumbnail', { headers }), 'cloud.photos:read');
      refused(await s.t.request('PUT', '/v1/cloud/contacts/c2', { headers, body: { name: 'Mallory' } }));
      refused(await s.t.request('DELETE', '/v1/cloud/contacts/c1', { headers }));
      refused(await s.t.request('GET', '/v1/cloud/messages', { headers }));

      const both = { authorization: `Bearer ${await tokenFor('cloud.photos:read cloud.contacts:read')}` };
      assert.equal((await s.t.request('GET', '/v1/cloud/photos', { headers: both })).status, 200);
      assert.equal((await s.t.request('GET', '/v1/cloud/contacts', { headers: both })).status, 200);
      refused(await s.t.request('GET', '/v1/cloud/app-data', { headers: both }));
    });

    test('devices:write sends a command (ring) to a device, which devices:read alone cannot', async () => {
      const device = await s.t.request<Api<'LinkedDevice'>>('POST', '/v1/devices', {
        token: account.token,
        body: { serial: `SN${Date.now()}`, model: 'Phone 3', name: 'Phone', kind: 'phone' },
      });
      assert.equal(device.status, 201, device.text);
      const id = device.body.device.id;
      const reader = { authorization: `Bearer ${await tokenFor('devices:read')}` };
      refused(
        await s.t.request('POST', `/v1/devices/${id}/commands`, { headers: reader, body: { type: 'ring' } }),
        'devices:write',
      );
      const writer = { authorization: `Bearer ${await tokenFor('devices:write')}` };
      const rung = await s.t.request('POST', `/v1/devices/${id}/commands`, { headers: writer, body: { type: 'ring' } });
      assert.equal(rung.status, 202, rung.text);
      // The device itself sees the command it was sent.
      const pending = await s.t.request<Api<'DeviceCommandList'>>('GET', '/v1/device/commands', {
        token: device.body.deviceToken,
      });
      assert.equal(pending.status, 200, pending.text);
      assert.deepEqual(
        pending.body.commands.map((c: { type: string }) => c.type),
        ['ring'],
      );
      refused(await s.t.request('DELETE', `/v1/devices/${id}`, { headers: writer }));
    });
  });
}
