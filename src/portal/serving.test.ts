import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { startPortal, type Portal } from './browser.js';
import { PORTAL_CSP } from './register.js';

// How the server serves the portal: the HTML never cached and under a CSP without inline scripts,
// hashed assets cached for good, client routes answered with the page, the API's unknown paths still problem+json.
describe('portal: served by the server', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  test('GET / is the portal page, never cached, under a CSP that allows no inline script', async () => {
    const response = await fetch(`${portal.baseUrl}/`, { headers: { accept: 'text/html' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(response.headers.get('cache-control') ?? '', /no-store/);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await response.text();
    assert.match(html, /<div id="root"><\/div>/);
    // Every script is a file of ours, none inline.
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    assert.ok(asset, 'the page loads its script from /assets/');
    const script = await fetch(`${portal.baseUrl}${asset}`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // Sent compressed as the build wrote it, to a browser that takes Brotli; as is to one that does not.
    const plain = Buffer.from(
      await (await fetch(`${portal.baseUrl}${asset}`, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer(),
    );
    const raw = await new Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }>(
      (resolve, reject) => {
        http
          .get(`${portal.baseUrl}${asset}`, { headers: { 'accept-encoding': 'br, gzip' } }, (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () =>
              resolve({
                encoding: answer.headers['content-encoding'],
                vary: answer.headers.vary,
                body: Buffer.concat(chunks),
              }),
            );
          })
          .on('error', reject);
      },
    );
    assert.equal(raw.encoding, 'br');
    assert.match(raw.vary ?? '', /accept-encoding/i);
    assert.ok(raw.body.length < plain.length / 2, 'the Brotli copy is much smaller');
    assert.deepEqual(zlib.brotliDecompressSync(raw.body), plain);
  });

  test("GET /sign-in is a page of its own (its own script, not the portal's), under the portal's headers", async () => {
    const entryOf = (html: string) => html.match(/<script[^>]*\bsrc="(\/assets\/[^"]+\.js)"/)?.[1];
    const portalEntry = entryOf(await (await fetch(`${portal.baseUrl}/`, { headers: { accept: 'text/html' } })).text());
    for (const url of ['/sign-in', '/sign-in?next=%2Fdevices', '/sign-in?signedOut=true']) {
      const response = await fetch(`${portal.baseUrl}${url}`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200, url);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
      assert.equal(response.headers.get('content-security-policy'), PORTAL_CSP);
      const html = await response.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
      assert.match(entryOf(html) ?? '', /^\/assets\/sign-in-/);
      // Nor does it preload the portal's entry. What it may load at all is checked at build time:
      // web/vite.config.ts (leanSignInPage) fails the build if the router, the query cache, i18next or
      // React Aria is in a chunk the page loads up front.
      assert.ok(portalEntry && !html.includes(portalEntry));
    }
  });

  test('a client route opened directly gets the page; the API and missing assets still answer 404 problem+json', async () => {
    const page = await fetch(`${portal.baseUrl}/devices/some-id?x=1`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);

    for (const url of ['/v1/nothing-here', '/assets/missing-abc.js']) {
      const response = await fetch(`${portal.baseUrl}${url}`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 404, url);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await response.json()) as { code: string }).code, 'not_found');
    }
    const json = await fetch(`${portal.baseUrl}/devices`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.equal(((await json.json()) as { code: string }).code, 'not_found');
  });
});
