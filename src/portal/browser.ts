// The portal's test harness: the real server (createTestApp, listening on a real port) with the built
// portal, Debian's Chromium driven by playwright-core, axe-core run in each page, screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTestApp, type TestApp, type TestDatabase } from '../testing/test-app.js';
import { assertChromiumInstalled, launchChromium } from '../testing/chromium.js';
import { freePort } from '../testing/free-port.js';
import { PORTAL_DIST } from './register.js';
import type { BearerSession } from '../testing/api-types.js';

const ROOT = path.resolve(PORTAL_DIST, '../..');
export const SCREENSHOTS = path.join(ROOT, 'docs/screenshots');

export const VIEWPORTS = {
  phone: { width: 360, height: 780 },
  desktop: { width: 1280, height: 860 },
} as const;
export type Viewport = keyof typeof VIEWPORTS;
export type Language = 'en' | 'es';

function newestFile(folder: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the portal when there is no build or the sources changed since (so a test never runs stale pages). */
export function ensurePortalBuilt(): void {
  const index = path.join(PORTAL_DIST, 'index.html');
  const fresh = () => {
    // The sources, the entries' pages (index.html, sign-in.html, admin.html) and the build's configuration.
    const sources = Math.max(
      newestFile(path.join(ROOT, 'web/src')),
      ...fs
        .readdirSync(path.join(ROOT, 'web'))
        .filter((name) => name.endsWith('.html') || name === 'vite.config.ts')
        .map((name) => fs.statSync(path.join(ROOT, 'web', name)).mtimeMs),
    );
    return fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources;
  };
  if (fresh()) return;
  // Test files run in parallel: one builds, the others wait for it (a lock folder, taken atomically).
  const lock = path.join(ROOT, 'web/.build-lock');
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock older than two minutes belongs to a build that died.
      if (Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000)
        fs.rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (!fresh()) execFileSync('npm', ['run', 'build', '-w', 'web'], { cwd: ROOT, stdio: 'ignore' });
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Portal {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser profile in a language and at a size; CSP violations and page errors are collected. */
  context(language: Language, viewport: Viewport): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  close(): Promise<void>;
}

/**
 * The real server with the built portal and a browser. `hostname: 'localhost'` serves it under a host name
 * rather than an IP address, which WebAuthn needs (passkeys are bound to a domain).
 */
export async function startPortal(
  database: TestDatabase = 'sqlite',
  env: Record<string, string> = {},
  options: { hostname?: 'localhost' } = {},
): Promise<Portal> {
  assertChromiumInstalled();
  ensurePortalBuilt();
  const port = await freePort();
  const baseUrl = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const t = await createTestApp({ database, env: { LANYARD_PORT: String(port), LANYARD_BASE_URL: baseUrl, ...env } });
  // The browser checks the captcha's expiry and the cookies' against its own clock: the server's starts at now.
  t.clock.set(Date.now());
  await t.app.http.listen({ port, host: '127.0.0.1' });
  const browser = await launchChromium();
  return {
    t,
    baseUrl,
    browser,
    async context(language, viewport) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        locale: language === 'es' ? 'es-ES' : 'en-US',
        viewport: VIEWPORTS[viewport],
      });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
          problems.push(`CSP: ${message.text()}`);
      });
      return { context, page, problems };
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** axe-core's WCAG 2.x A/AA rules on the page as it is now; fails the test on any violation. */
export async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (an injected <script> would be refused).
  // Once per document: a flow checks the same page several times, and compiling 500 KB of axe each time cost more
  // than many of the runs themselves.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{ violations: { id: string; help: string; nodes: { target: unknown }[] }[] }>;
        };
      }
    ).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      // The same rules on the same nodes; only the violations are collected in full (not every passing node).
      resultTypes: ['violations'],
    });
    return result.violations.map(
      (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
    );
  });
  assert.deepEqual(violations, [], `axe-core violations on ${where}`);
}

/**
 * Saves <name>-<language>-<viewport>.png into docs/screenshots with LANYARD_SCREENSHOTS=1 (`npm run
 * screenshots`). Otherwise it does nothing: the full-page PNGs went to a scratch folder nobody read, and a
 * test run spent browser time on 67 of them. The screenshots check nothing; the flows' assertions do.
 */
export async function screenshot(page: Page, name: string, language: Language, viewport: Viewport): Promise<void> {
  if (process.env.LANYARD_SCREENSHOTS !== '1') return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${language}-${viewport}.png`), fullPage: true });
}

/** Tabs through the page until the element named is focused: proof that the keyboard reaches it. */
export async function tabTo(
  page: Page,
  role: 'button' | 'link' | 'textbox' | 'checkbox' | 'radio',
  name: string | RegExp,
  maxTabs = 40,
): Promise<void> {
  const target = page.getByRole(role, { name, exact: typeof name === 'string' });
  await target.waitFor();
  for (let i = 0; i < maxTabs; i += 1) {
    if (
      await target.evaluate((el) => el === document.activeElement || el.contains(document.activeElement), undefined, {
        timeout: 2000,
      })
    )
      return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`the keyboard never reached the ${role} "${String(name)}" in ${maxTabs} tabs`);
}

/** An account made through the API, whose profile language is the one given (as the portal's sign-up sets it). */
export async function accountIn(
  t: TestApp,
  language: Language,
  name = 'Ana',
): Promise<{ email: string; password: string; id: string }> {
  const email = `portal-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const password = `long pass ${Math.random().toString(36).slice(2, 10)}`;
  assert.equal((await t.request('POST', '/v1/signup', { body: { email, locale: language } })).status, 202);
  await t.drainJobs();
  const done = await t.request<BearerSession>('POST', '/v1/signup/complete', {
    body: { email, code: t.messages.lastCode(email), password, name, locale: language, kind: 'api' },
  });
  assert.equal(done.status, 201, done.text);
  return { email, password, id: done.body.account.id };
}

/** Signs in on the portal's sign-in page with the words of its language, and waits for the home page's greeting. */
export async function signInOnPage(
  page: Page,
  account: { email: string; password: string },
  words: { login: string; password: string; submit: string; hello: string },
): Promise<void> {
  await page.goto('/sign-in');
  await page.getByRole('textbox', { name: words.login }).fill(account.email);
  await page.getByLabel(words.password).fill(account.password);
  await page.getByRole('button', { name: words.submit, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: words.hello }).waitFor();
}

export const LANGUAGES: readonly Language[] = ['en', 'es'];
export const VIEWPORT_NAMES: readonly Viewport[] = ['phone', 'desktop'];

export interface Pair {
  language: Language;
  viewport: Viewport;
}

const EVERY_PAIR: readonly Pair[] = LANGUAGES.flatMap((language) =>
  VIEWPORT_NAMES.map((viewport) => ({ language, viewport })),
);

/**
 * The language and size pairs a whole flow runs in: each language and each size once, Spanish (the longer
 * words) on the narrow phone and English on the desktop. Running every flow four times doubled the browser
 * tests' time for combinations that differ only in layout; those two pairs (English on the phone, Spanish
 * on the desktop) are checked page by page in every-page.test.ts instead. `npm run screenshots`
 * (LANYARD_SCREENSHOTS=1) and LANYARD_PORTAL_EVERY_PAIR=1 run every flow in all four.
 */
export function flowPairs(): readonly Pair[] {
  const every = process.env.LANYARD_SCREENSHOTS === '1' || process.env.LANYARD_PORTAL_EVERY_PAIR === '1';
  return every
    ? EVERY_PAIR
    : [
        { language: 'es', viewport: 'phone' },
        { language: 'en', viewport: 'desktop' },
      ];
}

export interface PortalCase {
  portal: Portal;
  t: TestApp;
  language: Language;
  viewport: Viewport;
}

export interface PortalSuite {
  /** One test per pair of `flowPairs()` (or of the languages and sizes given), titled "<language>, <viewport>: <title>". */
  each(title: string, body: (c: PortalCase) => Promise<void>): void;
  /** The running portal, inside a test. */
  readonly portal: Portal;
}

/**
 * The frame of a portal test file: a describe block with one portal (startPortal before, closed after)
 * whose tests run in each language at each size.
 */
export function describePortal(
  name: string,
  body: (suite: PortalSuite) => void,
  options: {
    database?: TestDatabase;
    env?: Record<string, string>;
    languages?: readonly Language[];
    viewports?: readonly Viewport[];
  } = {},
): void {
  describe(name, () => {
    let portal: Portal | undefined;
    before(async () => {
      portal = await startPortal(options.database, options.env);
    });
    after(async () => portal?.close());
    const suite: PortalSuite = {
      get portal() {
        if (!portal) throw new Error('the portal starts before the first test, and is there only inside tests');
        return portal;
      },
      each(title, run) {
        const pairs =
          options.languages || options.viewports
            ? EVERY_PAIR.filter(
                (pair) =>
                  (options.languages ?? LANGUAGES).includes(pair.language) &&
                  (options.viewports ?? VIEWPORT_NAMES).includes(pair.viewport),
              )
            : flowPairs();
        for (const { language, viewport } of pairs) {
          test(`${language}, ${viewport}: ${title}`, () =>
            run({ portal: suite.portal, t: suite.portal.t, language, viewport }));
        }
      },
    };
    body(suite);
  });
}
