// The portal's weight and Lighthouse scores (issue 16, "Quality"): every page's route loaded in Chromium
// against the real server, the JavaScript it fetched summed gzip-compressed, against its budget (sign-in
// at most 100 KiB, any page at most 250 KiB); then Lighthouse's performance and accessibility scores of
// a few pages (targets: performance ≥ 95, accessibility 100). Part `web` of `npm run bench`
// (`npm run bench:web` runs it alone); also runnable by itself: `node --import tsx bench/web-budgets.ts`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { api, linkDevice } from './api.js';
import { mark, type Target } from './format.js';
import { round } from './stats.js';
import { signUp } from './seed.js';
import { benchGallery, GALLERY_TARGET_MS, type GalleryResult } from './web-gallery.js';
import { loadAverageNow } from './fresh-server.js';
import { ensureBuild, ROOT, startServer, type ServerBuild } from './server.js';
import { CHROMIUM, CHROMIUM_ARGS, launchChromium } from '../src/testing/chromium.js';

const WEB = path.join(ROOT, 'web');
const KIB = 1024;

export const WEB_BUDGETS = { signInKiB: 100, anyPageKiB: 250 } as const;
export const LIGHTHOUSE_TARGETS = { performance: 95, accessibility: 100 } as const;
/** The pages Lighthouse scores: sign-in, home, devices and photos (the cloud page opens on its photo gallery). */
const LIGHTHOUSE_PAGES = ['/sign-in', '/', '/devices', '/cloud'];

export interface PageWeight {
  path: string;
  /** The route's pattern in web/src (e.g. /devices/$deviceId) when it differs from the path loaded. */
  route?: string;
  signedIn: boolean;
  scripts: { file: string; bytes: number; gzipBytes: number }[];
  jsBytes: number;
  jsGzipBytes: number;
  budgetKiB: number;
  met: boolean;
}

export interface LighthouseScore {
  path: string;
  formFactor: 'mobile' | 'desktop';
  performance: number;
  accessibility: number;
  met: { performance: boolean; accessibility: boolean };
  /** Metrics behind the performance score, in ms (CLS unitless). */
  metrics: Record<string, number>;
  /** The failed accessibility audits, by id. */
  accessibilityFailures: string[];
  /** Lighthouse's measure of this machine's CPU at the time (its simulated throttling scales by it; about 1000 is a desktop). */
  benchmarkIndex: number;
  /** The 1-minute load average when the run started: on a shared machine the performance score follows it. */
  loadAverage: number;
}

export interface WebResult {
  gzip: string;
  pages: PageWeight[];
  /** The gallery with 10,000 photos: bench/web-gallery.ts. */
  gallery?: GalleryResult;
  galleryError?: string;
  lighthouse?: LighthouseScore[];
  lighthouseError?: string;
  targets: Record<string, Target>;
  error?: string;
}

function newestMtime(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/** Builds web/dist when it is missing or older than a source (the bench measures what `npm start` serves). */
export function ensureWebBuilt(say: (line: string) => void): void {
  const index = path.join(WEB, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(path.join(WEB, 'src')),
    ...fs
      .readdirSync(WEB)
      .filter((name) => name.endsWith('.html') || name === 'vite.config.ts')
      .map((name) => newestMtime(path.join(WEB, name))),
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  say('Building the portal (npm run build -w web)…');
  execFileSync('npm', ['run', '--silent', 'build', '-w', 'web'], { cwd: ROOT, stdio: 'ignore' });
}

/** Pages that are Vite entries of their own (web/sign-in.html) rather than routes of the portal's router. */
const ENTRY_PAGES = ['/sign-in'];

/**
 * Every route's path as written in web/src (route.ts files), so that a page added later is weighed too,
 * and the pages of their own entries.
 */
export function portalRoutes(): string[] {
  const routes = new Set<string>(ENTRY_PAGES);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      // The staff console (web/src/admin) is another entry, served at /admin to staff: not a portal page.
      if (entry.isDirectory()) {
        if (full !== path.join(WEB, 'src', 'admin')) walk(full);
      } else if (/^route\.tsx?$/.test(entry.name))
        for (const match of fs.readFileSync(full, 'utf8').matchAll(/\bpath:\s*'([^']+)'/g)) routes.add(match[1]!);
    }
  };
  walk(path.join(WEB, 'src'));
  return [...routes].sort();
}

/** Pages reached without a session (the rest redirect to sign-in without one). */
const PUBLIC_ROUTES = new Set([
  '/sign-in',
  '/create-account',
  '/forgot-password',
  '/account/undo-change',
  '/account/lock',
]);

async function signInOnPage(page: Page, baseUrl: string, account: { email: string; password: string }): Promise<void> {
  const words = JSON.parse(fs.readFileSync(path.join(WEB, 'src/shared/i18n/en.json'), 'utf8')) as {
    signIn: { login: string; password: string; submit: string };
  };
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByRole('textbox', { name: words.signIn.login }).fill(account.email);
  await page.getByLabel(words.signIn.password, { exact: true }).fill(account.password);
  await page.getByRole('button', { name: words.signIn.submit, exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/');
}

/** Loads one path in a fresh page of the context and sums the JavaScript it fetched (workers included). */
async function weigh(context: BrowserContext, baseUrl: string, pagePath: string): Promise<PageWeight['scripts']> {
  const page = await context.newPage();
  const scripts = new Map<string, Promise<Buffer | undefined>>();
  const onResponse = (response: { url(): string; body(): Promise<Buffer> }) => {
    const url = new URL(response.url());
    if (url.origin === baseUrl && /\.m?js$/.test(url.pathname) && !scripts.has(url.pathname))
      scripts.set(
        url.pathname,
        response.body().catch(() => undefined),
      );
  };
  context.on('response', onResponse);
  try {
    await page.goto(`${baseUrl}${pagePath}`, { waitUntil: 'networkidle' });
    await page.locator('h1').first().waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
  } finally {
    context.off('response', onResponse);
  }
  await page.close();
  const weights: PageWeight['scripts'] = [];
  for (const [file, body] of scripts) {
    const bytes = await body;
    if (bytes) weights.push({ file, bytes: bytes.length, gzipBytes: gzipSync(bytes).length });
  }
  return weights.sort((a, b) => b.gzipBytes - a.gzipBytes);
}

async function lighthouseScores(
  baseUrl: string,
  account: { email: string; password: string },
  paths: string[],
  say: (line: string) => void,
): Promise<LighthouseScore[]> {
  const { default: lighthouse, desktopConfig } = await import('lighthouse');
  const port = 9300 + Math.floor(Math.random() * 500);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-lighthouse-'));
  // A persistent context is the browser's default one: Lighthouse's tabs share its cookies (the session).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--remote-debugging-port=${port}`],
    locale: 'en-US',
  });
  const scores: LighthouseScore[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await signInOnPage(page, baseUrl, account);
    // One discarded run first: the first audit of a fresh browser pays for its start-up.
    if (paths[0])
      await lighthouse(`${baseUrl}${paths[0]}`, {
        port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: ['performance'],
        disableStorageReset: true,
      });
    for (const pagePath of paths) {
      for (const formFactor of ['mobile', 'desktop'] as const) {
        const loadAverage = loadAverageNow();
        const flags = {
          port,
          output: 'json' as const,
          logLevel: 'error' as const,
          onlyCategories: ['performance', 'accessibility'],
          disableStorageReset: true,
        };
        const run = await lighthouse(
          `${baseUrl}${pagePath}`,
          flags,
          formFactor === 'desktop' ? desktopConfig : undefined,
        );
        const lhr = run?.lhr;
        if (!lhr) throw new Error(`Lighthouse gave no result for ${pagePath}`);
        if (lhr.runtimeError)
          throw new Error(`Lighthouse on ${pagePath}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
        const score = (id: string) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
        const metric = (id: string) =>
          round(lhr.audits[id]?.numericValue ?? Number.NaN, id === 'cumulative-layout-shift' ? 3 : 0);
        const result: LighthouseScore = {
          path: pagePath,
          formFactor,
          performance: score('performance'),
          accessibility: score('accessibility'),
          met: {
            performance: score('performance') >= LIGHTHOUSE_TARGETS.performance,
            accessibility: score('accessibility') >= LIGHTHOUSE_TARGETS.accessibility,
          },
          metrics: {
            firstContentfulPaint: metric('first-contentful-paint'),
            largestContentfulPaint: metric('largest-contentful-paint'),
            totalBlockingTime: metric('total-blocking-time'),
            cumulativeLayoutShift: metric('cumulative-layout-shift'),
            speedIndex: metric('speed-index'),
          },
          accessibilityFailures: (lhr.categories.accessibility?.auditRefs ?? [])
            .filter((ref) => ref.weight > 0 && lhr.audits[ref.id]?.score === 0)
            .map((ref) => ref.id),
          benchmarkIndex: Math.round(lhr.environment.benchmarkIndex),
          loadAverage,
        };
        scores.push(result);
        say(
          `  lighthouse ${pagePath} (${formFactor}): performance ${result.performance}${mark(result.met.performance)}, accessibility ${result.accessibility}${mark(result.met.accessibility)}` +
            ` (LCP ${result.metrics.largestContentfulPaint} ms, TBT ${result.metrics.totalBlockingTime} ms; benchmark index ${result.benchmarkIndex}, load ${loadAverage})${result.accessibilityFailures.length ? `; failing: ${result.accessibilityFailures.join(', ')}` : ''}`,
        );
      }
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  return scores;
}

export async function benchWeb(
  build: ServerBuild,
  options: { lighthouse?: boolean; galleryPhotos?: number },
  say: (line: string) => void,
): Promise<WebResult> {
  const result: WebResult = {
    gzip: 'each file gzip-compressed by node:zlib at its default level (6), as Vite reports it',
    pages: [],
    targets: {},
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-bench-web-'));
  try {
    ensureWebBuilt(say);
    const server = await startServer({ build, dataDir });
    say(`\nweb: server pid ${server.pid} at ${server.url}`);
    const browser = await launchChromium();
    try {
      const account = await signUp(server.url, dataDir, 0);
      const deviceToken = await linkDevice(server.url, account.token, `BENCHWEB${Date.now()}`);
      const device = await api<{ devices: { id: string }[] }>(server.url, 'GET', '/v1/devices', {
        token: account.token,
      });
      void deviceToken;
      const params: Record<string, string> = { deviceId: device.devices[0]!.id };
      for (const route of portalRoutes()) {
        const pagePath = route.replace(/\$(\w+)/g, (_, name: string) => params[name] ?? `unknown-${name}`);
        const signedIn = !PUBLIC_ROUTES.has(route);
        // A fresh profile per page: nothing cached from the page before.
        const context = await browser.newContext({ locale: 'en-US' });
        try {
          if (signedIn) {
            const page = await context.newPage();
            await signInOnPage(page, server.url, account);
            await page.close();
          }
          const scripts = await weigh(context, server.url, pagePath);
          const jsGzipBytes = scripts.reduce((sum, s) => sum + s.gzipBytes, 0);
          const budgetKiB = route === '/sign-in' ? WEB_BUDGETS.signInKiB : WEB_BUDGETS.anyPageKiB;
          const weight: PageWeight = {
            path: pagePath,
            ...(route !== pagePath ? { route } : {}),
            signedIn,
            scripts,
            jsBytes: scripts.reduce((sum, s) => sum + s.bytes, 0),
            jsGzipBytes,
            budgetKiB,
            met: jsGzipBytes <= budgetKiB * KIB,
          };
          result.pages.push(weight);
          say(
            `  ${pagePath.padEnd(28)} ${round(jsGzipBytes / KIB, 1)
              .toFixed(1)
              .padStart(6)} KiB gzip in ${scripts.length} files (budget ${budgetKiB} KiB)${mark(weight.met)}`,
          );
        } finally {
          await context.close();
        }
      }
      const signIn = result.pages.find((p) => p.path === '/sign-in');
      if (signIn)
        result.targets.signInJsAtMost100KiB = {
          target: `≤ ${WEB_BUDGETS.signInKiB} KiB gzip`,
          value: round(signIn.jsGzipBytes / KIB, 1),
          met: signIn.met,
        };
      const heaviest = [...result.pages].sort((a, b) => b.jsGzipBytes - a.jsGzipBytes)[0];
      if (heaviest)
        result.targets.everyPageJsAtMost250KiB = {
          target: `≤ ${WEB_BUDGETS.anyPageKiB} KiB gzip (heaviest: ${heaviest.path})`,
          value: round(heaviest.jsGzipBytes / KIB, 1),
          met: heaviest.jsGzipBytes <= WEB_BUDGETS.anyPageKiB * KIB,
        };

      // The gallery's account (10,000 photos) is also the one Lighthouse scores the pages of: its photos
      // page is the full one.
      let scored = account;
      const galleryPhotos = options.galleryPhotos ?? 10_000;
      if (galleryPhotos > 0) {
        try {
          const galleryAccount = await signUp(server.url, dataDir, 1);
          result.gallery = await benchGallery({
            baseUrl: server.url,
            browser,
            account: galleryAccount,
            photos: galleryPhotos,
            loads: 5,
            signIn: (page) => signInOnPage(page, server.url, galleryAccount),
            say,
          });
          scored = galleryAccount;
          result.targets.galleryFirstScreenWithin1s = {
            target: `≤ ${GALLERY_TARGET_MS} ms from navigation to the first screen of thumbnails, with the count of ${galleryPhotos} photos shown (median of ${result.gallery.completeMs.length} loads)`,
            value: result.gallery.medianMs,
            met: result.gallery.met,
          };
        } catch (error) {
          result.galleryError = error instanceof Error ? error.message : String(error);
          say(`  gallery failed: ${result.galleryError}`);
        }
      }

      if (options.lighthouse !== false) {
        const routes = new Set(portalRoutes());
        try {
          result.lighthouse = await lighthouseScores(
            server.url,
            scored,
            LIGHTHOUSE_PAGES.filter((p) => routes.has(p)),
            say,
          );
          for (const formFactor of ['mobile', 'desktop'] as const) {
            const runs = result.lighthouse.filter((s) => s.formFactor === formFactor);
            const worstPerformance = Math.min(...runs.map((s) => s.performance));
            const worstAccessibility = Math.min(...runs.map((s) => s.accessibility));
            result.targets[`lighthousePerformanceAtLeast95_${formFactor}`] = {
              target: `≥ ${LIGHTHOUSE_TARGETS.performance} on every page scored (worst)`,
              value: worstPerformance,
              met: worstPerformance >= LIGHTHOUSE_TARGETS.performance,
            };
            result.targets[`lighthouseAccessibility100_${formFactor}`] = {
              target: `${LIGHTHOUSE_TARGETS.accessibility} on every page scored (worst)`,
              value: worstAccessibility,
              met: worstAccessibility >= LIGHTHOUSE_TARGETS.accessibility,
            };
          }
        } catch (error) {
          result.lighthouseError = error instanceof Error ? error.message : String(error);
          say(`  lighthouse failed: ${result.lighthouseError}`);
        }
      }
    } finally {
      await browser.close();
      await server.stop();
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    say(`  web failed: ${result.error}`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}

/** The readable summary of the part. */
export function webSummary(result: WebResult): string {
  const lines = ['Portal JavaScript per page (gzip) and Lighthouse:'];
  for (const p of result.pages)
    lines.push(
      `  ${p.path.padEnd(28)} ${(p.jsGzipBytes / KIB).toFixed(1).padStart(6)} KiB / ${p.budgetKiB} KiB${mark(p.met)}`,
    );
  if (result.gallery)
    lines.push(
      `  gallery of ${result.gallery.photos} photos: first screen ${result.gallery.medianFirstScreenMs} ms, with the count shown ${result.gallery.medianMs} ms (target ≤ ${GALLERY_TARGET_MS} ms)${mark(result.gallery.met)}`,
    );
  if (result.galleryError) lines.push(`  gallery failed: ${result.galleryError}`);
  for (const s of result.lighthouse ?? [])
    lines.push(
      `  lighthouse ${s.path} ${s.formFactor}: performance ${s.performance}, accessibility ${s.accessibility}`,
    );
  if (result.lighthouseError) lines.push(`  lighthouse failed: ${result.lighthouseError}`);
  if (result.error) lines.push(`  failed: ${result.error}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const photosFlag = process.argv.indexOf('--gallery-photos');
  const result = await benchWeb(
    ensureBuild(),
    {
      lighthouse: !process.argv.includes('--no-lighthouse'),
      ...(photosFlag > 0 ? { galleryPhotos: Number(process.argv[photosFlag + 1]) } : {}),
    },
    say,
  );
  say(`\n${webSummary(result)}\n${JSON.stringify(result.targets, null, 2)}`);
  process.exitCode = result.error ? 1 : 0;
}
