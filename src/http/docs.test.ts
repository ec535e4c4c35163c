import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { assertChromiumInstalled, launchChromium } from '../testing/chromium.js';
import { createTestApp, type TestApp } from '../testing/test-app.js';
import { DOCS_CSP } from './server.js';
import type { Api } from '../testing/api-types.js';

// GET /docs is the readable API reference: swagger-ui served from the package's own files, reading the
// server's document, under a CSP that lets nothing come from another origin. Rendered in Chromium, so
// that a script or style the CSP blocks (and a blank page) shows here rather than to a reader.

describe('GET /docs, the API reference', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  before(async () => {
    assertChromiumInstalled();
    t = await createTestApp();
    base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('is an HTML page under a CSP that allows only this origin, with no inline script', async () => {
    const page = await t.request('GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['content-security-policy'], DOCS_CSP);
    assert.doesNotMatch(DOCS_CSP, /unsafe-inline|unsafe-eval|https:|\*/);
    assert.doesNotMatch(
      page.text,
      /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/,
      'an inline script would need unsafe-inline',
    );
    assert.doesNotMatch(page.text, /https?:\/\/(?!127\.0\.0\.1)/, 'the page loads nothing from another server');
  });

  test('renders every operation of the document in Chromium, with no CSP violation and no request elsewhere', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/.test(message.text())) violations.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    await page.goto(`${base}/docs`);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    const document = (await t.request<Api<'OpenApiDocument'>>('GET', '/v1/openapi.json')).body as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const expected = Object.values(document.paths).flatMap((byMethod) =>
      Object.values(byMethod).map((operation) => operation.operationId),
    );
    const shown = await page.locator('.opblock').count();
    assert.equal(shown, expected.length, 'one block per operation');
    const ids = await page.locator('.opblock-summary-operation-id').allTextContents();
    assert.deepEqual(ids.map((id) => id.trim()).sort(), [...expected].sort());
    assert.equal(
      await page
        .locator('.title')
        .first()
        .textContent()
        .then((text) => text?.includes('Lanyard API')),
      true,
    );
    assert.deepEqual(violations, []);
    assert.deepEqual(elsewhere, []);
    await context.close();
  });
});
