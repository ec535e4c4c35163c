import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flowPairs, accountIn, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { totpCode } from '../testing/staff.js';
import { consoleWords, staffIn } from './staff.js';

const text = {
  en: {
    ...consoleWords.en,
    wrong: 'The login or password is wrong.',
    notStaff: 'Not a staff account',
    unlock: 'Unlock requests',
    console: 'Console',
    brand: 'Lanyard staff',
  },
  es: {
    ...consoleWords.es,
    wrong: 'El usuario o la contraseña no son correctos.',
    notStaff: 'No es una cuenta del personal',
    unlock: 'Solicitudes de desbloqueo',
    console: 'Consola',
    brand: 'Lanyard personal',
  },
} as const;

describe('staff console: served at /admin, its sign-in gate and navigation in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal();
  });
  after(async () => portal?.close());

  test('GET /admin and its client routes answer the console page, never cached, under the CSP; its assets are immutable', async () => {
    const portalPage = await (await fetch(`${portal.baseUrl}/`, { headers: { accept: 'text/html' } })).text();
    const portalEntry = portalPage.match(/<script[^>]*src="(\/assets\/[^"]+\.js)"/)?.[1];
    for (const url of ['/admin', '/admin/', '/admin/unlock-requests/some-id?x=1']) {
      const response = await fetch(`${portal.baseUrl}${url}`, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200, url);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      const html = await response.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
      const entry = html.match(/<script[^>]*src="(\/assets\/[^"]+\.js)"/)?.[1];
      assert.ok(entry, 'the console loads its script from /assets/');
      assert.notEqual(entry, portalEntry, 'the console has its own entry, not the portal’s');
      const script = await fetch(`${portal.baseUrl}${entry}`);
      assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    }
    // Asked for JSON, a console path is an unknown route like any other.
    const json = await fetch(`${portal.baseUrl}/admin/apps`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 404);
    assert.equal(((await json.json()) as { code: string }).code, 'not_found');
  });

  test('the portal never loads the console’s code', async () => {
    const { context, page, problems } = await portal.context('en', 'desktop');
    const scripts: string[] = [];
    page.on('response', async (response) => {
      if (response.url().endsWith('.js')) scripts.push(await response.text());
    });
    await page.goto('/sign-in');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.goto('/create-account');
    await page.waitForLoadState('networkidle');
    assert.ok(scripts.length > 0);
    // The console's own words (its catalogue) are in its chunks only.
    assert.ok(scripts.every((source) => !source.includes(text.en.brand) && !source.includes(text.es.notStaff)));
    scripts.length = 0;
    await page.goto('/admin');
    await page.getByRole('heading', { level: 1, name: text.en.signInTitle }).waitFor();
    assert.ok(scripts.some((source) => source.includes(text.en.brand)));
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: signed out, the page asked for shows the sign-in form; staff get the console and its navigation; a person who is not staff is told so`, async () => {
      const words = text[language];
      const t = portal.t;
      const staff = await staffIn(t, 'admin');
      const person = await accountIn(t, language);
      const { context, page, problems } = await portal.context(language, viewport);

      await page.goto('/admin/unlock-requests');
      await page.getByRole('heading', { level: 1, name: words.signInTitle }).waitFor();
      assert.equal(await page.title(), `${words.signInTitle} · Lanyard`);
      await expectNoAxeViolations(page, `console sign-in (${language}, ${viewport})`);
      await screenshot(page, 'console-sign-in', language, viewport);

      await tabTo(page, 'textbox', words.login);
      await page.keyboard.type(staff.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type('not the password');
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('alert').textContent(), words.wrong);
      await page.getByLabel(words.password).fill(staff.password);
      await tabTo(page, 'button', words.submit);
      await page.keyboard.press('Enter');
      // Staff have 2-step verification: the authenticator app's code, typed.
      await page.getByRole('heading', { level: 1, name: words.stepTitle }).waitFor();
      await expectNoAxeViolations(page, `console second step (${language}, ${viewport})`);
      t.clock.advance(30_000);
      await tabTo(page, 'textbox', words.code);
      await page.keyboard.type(await totpCode(t, staff.totpSecret));
      await page.keyboard.press('Enter');
      // The page asked for shows in place.
      await page.getByRole('heading', { level: 1, name: words.unlock }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/admin/unlock-requests');
      const cookie = (await context.cookies()).find((c) => c.name === 'lanyard_session');
      assert.ok(cookie?.httpOnly);

      await tabTo(page, 'link', words.console);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.home }).waitFor();
      await expectNoAxeViolations(page, `console home (${language}, ${viewport})`);
      await screenshot(page, 'console-home', language, viewport);

      await tabTo(page, 'button', words.signOut);
      await page.keyboard.press('Enter');
      await page.getByText(words.signedOut).waitFor();
      assert.equal(await page.evaluate(async () => (await fetch('/v1/me')).status), 401);

      // Someone who is not staff signs in on the same page: no broken pages, a plain answer.
      await page.getByRole('textbox', { name: words.login }).fill(person.email);
      await page.getByLabel(words.password).fill(person.password);
      await page.getByRole('button', { name: words.submit, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: words.notStaff }).waitFor();
      assert.equal(await page.getByRole('navigation').count(), 0);
      await expectNoAxeViolations(page, `console not staff (${language}, ${viewport})`);
      await screenshot(page, 'console-not-staff', language, viewport);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
});
