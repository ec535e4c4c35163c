import assert from 'node:assert/strict';
import fs from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { makeImage } from '../cloud/test-images.js';
import { launchChromium } from '../testing/chromium.js';
import type { Api, BearerSession } from '../testing/api-types.js';
import { createTestApp, testDatabases, uniqueEmail, type TestApp, type TestResponse } from '../testing/test-app.js';

// Issue 13, item 5: the headers every answer carries, the policy of every HTML page, and protocol errors
// answered as problem+json.

/** The directives of a Content-Security-Policy header, by name. */
function directives(response: TestResponse): Map<string, string> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]),
  );
}

/** Asserts the headers of an HTML page: a strict CSP, nosniff, no referrer. */
function assertStrictPage(response: TestResponse, what: string) {
  assert.match(String(response.headers['content-type']), /^text\/html/, what);
  const csp = directives(response);
  assert.equal(csp.get('object-src'), "'none'", `${what}: ${response.headers['content-security-policy']}`);
  assert.equal(csp.get('base-uri'), "'none'", what);
  assert.equal(csp.get('frame-ancestors'), "'none'", what);
  for (const [name, value] of csp)
    assert.doesNotMatch(value, /unsafe-inline|unsafe-eval|\*/, `${what}: ${name} ${value}`);
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
}

/** Sends raw bytes to the server and reads what comes back until it closes the connection. */
async function raw(port: number, bytes: string): Promise<{ status: number; headers: string; body: Api<'Problem'> }> {
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(body) };
}

for (const database of testDatabases()) {
  describe(`security headers and protocol errors (${database})`, () => {
    let t: TestApp;
    let port: number;
    before(async () => {
      t = await createTestApp({ database });
      await t.app.http.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.http.server.address() as { port: number }).port;
    });
    after(async () => t.close());

    test('API answers carry nosniff and no-referrer, and answers that carry a token are not stored by any cache', async () => {
      const email = uniqueEmail();
      await t.request('POST', '/v1/signup', { body: { email } });
      await t.drainJobs();
      const signedUp = await t.request<BearerSession>('POST', '/v1/signup/complete', {
        body: { email, code: t.messages.lastCode(email), password: 'a long unusual passphrase' },
      });
      const signedIn = await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: email, password: 'a long unusual passphrase' },
      });
      const session = await t.request<Api<'CurrentSession'>>('GET', '/v1/session', { token: signedIn.body.token });
      const refused = await t.request<Api<'Account'>>('GET', '/v1/me');
      for (const [what, response] of Object.entries({ signedUp, signedIn, session, refused })) {
        assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
        assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
        assert.equal(response.headers['cache-control'], 'no-store', what);
      }
      assert.ok(signedIn.body.token && session.body.csrfToken, 'the answers do carry secrets');
    });

    test('every answer carries a request id of its own, a UUIDv7 of the moment, the one a problem quotes', async () => {
      const before = Date.now();
      const answers = await Promise.all(Array.from({ length: 50 }, () => t.request<Api<'Problem'>>('GET', '/v1/me')));
      const ids = answers.map((answer) => String(answer.headers['x-request-id']));
      for (const [i, id] of ids.entries()) {
        assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, id);
        const at = Number.parseInt(id.replace('-', '').slice(0, 12), 16);
        assert.ok(at >= before && at <= Date.now(), `${id} was made at ${at}`);
        assert.equal(answers[i]!.body.requestId, id, 'the problem quotes the header');
      }
      assert.equal(new Set(ids).size, ids.length, 'no two are the same');
    });

    test("HTML pages have a strict CSP: the deletion-cancel page, the provider's error and logout pages", async () => {
      assertStrictPage(await t.request('GET', '/v1/deletion/cancel?token=abc'), 'deletion-cancel');
      // The page never echoes what came in its address.
      assert.ok(!(await t.request('GET', '/v1/deletion/cancel?token=zzzECHOzzz')).text.includes('zzzECHOzzz'));
      const error = await t.request(
        'GET',
        '/oauth/authorize?client_id=nobody&response_type=code&scope=openid&redirect_uri=https://evil.example/cb',
      );
      assert.equal(error.status, 400, error.text);
      assertStrictPage(error, "the provider's error page");
      const logout = await t.request('GET', '/oauth/logout');
      assert.equal(logout.status, 200, logout.text);
      assertStrictPage(logout, "the provider's logout page");
    });

    test('photo and export downloads carry an attachment Content-Disposition with a safe file name', async () => {
      const ana = await t.signUp();
      const safe = /^attachment; filename="[A-Za-z0-9._ -]+"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+-]+$/;
      const ids = {
        '..\\..\\"evil";.JPG': '..\\..\\"evil";.JPG',
        'fóto ☂ 1': 'fóto ☂ 1.jpg',
        '.hidden': '.hidden.jpg',
      };
      for (const [id, saved] of Object.entries(ids)) {
        const url = `/v1/cloud/photos/${encodeURIComponent(id)}`;
        const put = await t.request('PUT', url, {
          token: ana.token,
          payload: await makeImage('jpeg'),
          headers: { 'content-type': 'image/jpeg' },
        });
        assert.equal(put.status, 200, put.text);
        const got = await t.app.http.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ana.token}` } });
        const disposition = String(got.headers['content-disposition']);
        assert.match(disposition, safe, id);
        assert.doesNotMatch(/filename="([^"]*)"/.exec(disposition)![1]!, /^\.|[\\/]/, 'no dot-file, no path');
        assert.equal(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(disposition)![1]!), saved);
        assert.equal(got.headers['x-content-type-options'], 'nosniff');
      }
      const asked = await t.request<Api<'Export'>>('POST', '/v1/me/export', { token: ana.token });
      await t.drainJobs();
      const zip = await t.app.http.inject({
        method: 'GET',
        url: `/v1/me/export/${asked.body.id}/download`,
        headers: { authorization: `Bearer ${ana.token}` },
      });
      assert.equal(zip.statusCode, 200);
      assert.equal(
        zip.headers['content-disposition'],
        `attachment; filename="lanyard-export-${asked.body.id}.zip"; filename*=UTF-8''lanyard-export-${asked.body.id}.zip`,
      );
    });

    test('behind https a web sign-in sets a __Host- cookie and puts the token in no body; API clients keep theirs in the body', async () => {
      const secure = await createTestApp({ database, env: { LANYARD_BASE_URL: 'https://id.example.com' } });
      try {
        const email = uniqueEmail();
        const password = 'a long unusual passphrase';
        await secure.request('POST', '/v1/signup', { body: { email } });
        await secure.drainJobs();
        const signedUp = await secure.request<Api<'SessionIssued'>>('POST', '/v1/signup/complete', {
          body: { email, code: secure.messages.lastCode(email), password, kind: 'web' },
        });
        assert.equal(signedUp.status, 201, signedUp.text);
        assert.equal(signedUp.body.token, undefined, 'sign-up on the web: the token is in the cookie only');
        const web = await secure.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: email, password },
          headers: { 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' },
        });
        assert.equal(web.status, 201);
        assert.equal(web.body.token, undefined);
        assert.equal(web.body.account.email, email);
        const setCookie = String(web.headers['set-cookie']);
        assert.match(setCookie, /^__Host-lanyard_session=[A-Za-z0-9_-]+;/);
        assert.match(setCookie, /; Path=\/(;|$)/);
        assert.match(setCookie, /; Secure/);
        assert.match(setCookie, /; HttpOnly/);
        assert.doesNotMatch(setCookie, /Domain=/i);
        const token = /^__Host-lanyard_session=([A-Za-z0-9_-]+);/.exec(setCookie)![1]!;
        assert.equal(
          (await secure.request('GET', '/v1/session', { cookies: { '__Host-lanyard_session': token } })).status,
          200,
        );
        // A cookie without the prefix could have been planted by a sibling subdomain: it is not read.
        assert.equal((await secure.request('GET', '/v1/session', { cookies: { lanyard_session: token } })).status, 401);
        const api = await secure.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: email, password, kind: 'api' },
        });
        assert.equal(typeof api.body.token, 'string');
        assert.equal(api.headers['set-cookie'], undefined);
        assert.equal(api.headers['cache-control'], 'no-store');
        // Node's fetch sends Sec-Fetch-Mode alone: an API client, which keeps its token in the body.
        const nodeFetch = await secure.request<BearerSession>('POST', '/v1/sessions', {
          body: { login: email, password },
          headers: { 'sec-fetch-mode': 'cors' },
        });
        assert.equal(typeof nodeFetch.body.token, 'string');
      } finally {
        await secure.close();
      }
    });

    test('a request with headers too large answers 431 problem+json', async () => {
      const answer = await raw(port, `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.equal(answer.status, 431);
      assert.match(answer.headers, /content-type: application\/problem\+json/);
      assert.equal(answer.body.code, 'headers_too_large');
      assert.equal(answer.body.status, 431);
    });

    test('broken framing and a bad Content-Length answer 400 problem+json', async () => {
      for (const request of [
        'GET /v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n',
        'POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
        'POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
        'NOT HTTP AT ALL\r\n\r\n',
      ]) {
        const answer = await raw(port, request);
        assert.equal(answer.status, 400, request);
        assert.match(answer.headers, /content-type: application\/problem\+json/, request);
        assert.equal(answer.body.code, 'malformed_request', request);
        assert.equal(typeof answer.body.requestId, 'string');
      }
      // And the server goes on answering.
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    });

    test('the deletion-cancel page works in Chromium under its CSP, with no policy violation', async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
        });
        await page.goto(`http://127.0.0.1:${port}/v1/deletion/cancel?token=not-a-real-token`);
        await page.click('#keep');
        await page.waitForFunction(() => document.getElementById('result')?.textContent !== '');
        assert.match((await page.textContent('#result')) ?? '', /already used|already erased/);
        assert.deepEqual(violations, []);
      } finally {
        await browser.close();
      }
    });
  });
}
