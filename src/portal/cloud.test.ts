import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { makeHeic, makeImage } from '../cloud/test-images.js';
import { linkDevice } from '../devices/test-factories.js';
import { testDatabases, type TestApp } from '../testing/test-app.js';
import {
  accountIn,
  describePortal,
  expectNoAxeViolations,
  type Language,
  type Portal,
  screenshot,
  signInOnPage,
  tabTo,
  type Viewport,
} from './browser.js';
import type { BearerSession } from '../testing/api-types.js';

const text = {
  en: {
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    hello: 'Hello, Ana',
    nav: 'Cloud',
    title: 'Cloud',
    photos: 'Photos',
    contacts: 'Contacts',
    notes: 'Notes',
    messages: 'Messages',
    appData: 'App data',
    emptyAppData: 'No app data yet. What your apps back up appears here, app by app.',
    backedUp: 'backed up',
    count: '3 photos',
    twoPhotos: '2 photos',
    deletePhoto: 'Delete photo',
    deleteConfirm: 'Yes, delete IMG_0003.heic',
    close: 'Close',
    download: 'Download the original',
    position: (n: number) => `Photo ${n} of 3`,
    search: 'Search contacts',
    vcard: 'Download all 2 contacts as vCard',
    unreadable: '1 item could not be read',
    conversation: 'Conversation: +34 600 111 222',
    emptyPhotos: 'No photos yet. Photos your devices back up appear here.',
    emptyNotes: 'No notes yet. Notes your devices sync appear here.',
    prepare: 'Prepare a copy of my data',
    making: 'Preparing your copy…',
    ready: 'Your copy is ready',
    downloadZip: 'Download the zip',
    dialog: 'Confirm it is you',
  },
  es: {
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    hello: 'Hola, Ana',
    nav: 'Nube',
    title: 'Nube',
    photos: 'Fotos',
    contacts: 'Contactos',
    notes: 'Notas',
    messages: 'Mensajes',
    appData: 'Datos de apps',
    emptyAppData: 'Aún no hay datos de apps. Aquí aparece lo que copian tus apps, app por app.',
    backedUp: 'copiado el',
    count: '3 fotos',
    twoPhotos: '2 fotos',
    deletePhoto: 'Borrar la foto',
    deleteConfirm: 'Sí, borrar IMG_0003.heic',
    close: 'Cerrar',
    download: 'Descargar el original',
    position: (n: number) => `Foto ${n} de 3`,
    search: 'Buscar contactos',
    vcard: 'Descargar los 2 contactos como vCard',
    unreadable: 'No se ha podido leer 1 elemento',
    conversation: 'Conversación: +34 600 111 222',
    emptyPhotos: 'Aún no hay fotos. Aquí aparecen las fotos que copian tus dispositivos.',
    emptyNotes: 'Aún no hay notas. Aquí aparecen las notas que sincronizan tus dispositivos.',
    prepare: 'Preparar una copia de mis datos',
    making: 'Preparando tu copia…',
    ready: 'Tu copia está lista',
    downloadZip: 'Descargar el zip',
    dialog: 'Confirma que eres tú',
  },
} as const;

/** What a phone backs up, through the real API with its device token; one note is then damaged at rest. */
async function seedCloud(t: TestApp, account: { email: string; password: string; id: string }) {
  const token = (
    await t.request<BearerSession>('POST', '/v1/sessions', {
      body: { login: account.email, password: account.password, kind: 'api' },
    })
  ).body.token;
  const device = await linkDevice(t, { ...account, token });
  const photos = {
    'IMG_0001.jpg': await makeImage('jpeg', 320, 240),
    'IMG_0002.png': await makeImage('png', 200, 300),
    'IMG_0003.heic': makeHeic(),
  };
  const types: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', heic: 'image/heic' };
  for (const [id, bytes] of Object.entries(photos)) {
    // One after the other, a second apart: the gallery shows the newest first.
    t.clock.advance(1000);
    const put = await t.request('PUT', `/v1/cloud/photos/${id}`, {
      token: device.token,
      payload: bytes,
      headers: { 'content-type': types[id.split('.')[1]!]! },
    });
    assert.equal(put.status, 200, put.text);
  }
  await t.drainJobs();
  const json = async (collection: string, id: string, data: unknown) => {
    const put = await t.request('PUT', `/v1/cloud/${collection}/${id}`, { token: device.token, body: data });
    assert.equal(put.status, 200, put.text);
  };
  await json('contacts', 'c1', { name: 'Zoe Martín', phone: '+34 600 111 222', email: 'zoe@example.com' });
  await json('contacts', 'c2', { name: 'Bruno Díaz', phone: '+34 600 333 444' });
  await json('notes', 'n1', { title: 'Shopping', text: 'milk, bread' });
  await json('notes', 'n-damaged', { title: 'Lost', text: 'x' });
  await json('messages', 'm1', { conversation: '+34 600 111 222', from: 'Zoe', text: 'See you at eight' });
  await json('messages', 'm2', { conversation: '+34 600 111 222', from: 'Ana', text: 'On my way' });
  // App data: one item per app, named by the app (25 and 69 bytes of JSON).
  await json('app-data', 'com.example.game', { level: 12, coins: 3400 });
  await json('app-data', 'org.example.reader.settings', {
    theme: 'dark',
    fontSize: 16,
    sync: true,
    recent: ['a.txt', 'b.txt'],
  });
  // A row whose sealed body no longer opens: the list answers it among `unreadable`.
  await t.app.database.db
    .updateTable('cloud_items')
    .set({ body: 'bm90IHNlYWxlZA==' })
    .where('account_id', '=', account.id)
    .where('item_id', '=', 'n-damaged')
    .execute();
  return photos;
}

/** Moves the keyboard focus into the gallery grid (onto a photo). */
async function tabIntoGrid(page: Page, name: string): Promise<void> {
  const grid = page.getByRole('grid', { name });
  await grid.waitFor();
  for (let i = 0; i < 40; i += 1) {
    if (await grid.evaluate((el) => el.contains(document.activeElement))) return;
    await page.keyboard.press('Tab');
  }
  assert.fail('the keyboard never reached the gallery');
}

/** The whole cloud flow for one language and size, on the portal given. */
async function cloudFlow(portal: Portal, language: Language, viewport: Viewport): Promise<void> {
  const words = text[language];
  const t = portal.t;
  const account = await accountIn(t, language);
  const photos = await seedCloud(t, account);

  const { context, page, problems } = await portal.context(language, viewport);
  await signInOnPage(page, account, words);
  await tabTo(page, 'link', words.nav);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
  await page.getByText(words.count).waitFor();

  // Thumbnails come from the thumbnail route and load; the HEIC has none and says its format instead.
  const grid = page.getByRole('grid', { name: words.photos });
  assert.equal(await grid.getByRole('row').count(), 3);
  const thumbs = grid.locator('img');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('[role=grid] img')].length === 2 &&
      [...document.querySelectorAll<HTMLImageElement>('[role=grid] img')].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
  );
  assert.match((await thumbs.first().getAttribute('src')) ?? '', /\/thumbnail$/);
  await grid.getByText('HEIC').waitFor();
  await expectNoAxeViolations(page, `cloud photos (${language}, ${viewport})`);
  await screenshot(page, 'cloud-photos', language, viewport);

  // Keyboard: into the grid (the newest photo first), one to the right, Enter opens it large.
  await tabIntoGrid(page, words.photos);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  const viewer = page.getByRole('dialog');
  await viewer.getByRole('heading', { name: 'IMG_0002.png' }).waitFor();
  await viewer.getByText(words.position(2)).waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('[role=dialog] img');
    return !!img && img.complete && img.naturalWidth === 200;
  });
  const href = await viewer.getByRole('link', { name: words.download }).getAttribute('href');
  const original = await page.request.get(href!);
  assert.equal(original.status(), 200);
  assert.ok(
    Buffer.from(await original.body()).equals(photos['IMG_0002.png']),
    'the download is the original, byte for byte',
  );
  await expectNoAxeViolations(page, `cloud photo viewer (${language}, ${viewport})`);
  await screenshot(page, 'cloud-viewer', language, viewport);
  await page.keyboard.press('ArrowRight');
  await viewer.getByRole('heading', { name: 'IMG_0001.jpg' }).waitFor();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await viewer.getByRole('heading', { name: 'IMG_0003.heic' }).waitFor();
  // Deleting asks first (the confirmation takes the focus), then the photo leaves the cloud and the gallery.
  await tabTo(page, 'button', words.deletePhoto);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: words.deleteConfirm }).waitFor();
  await expectNoAxeViolations(page, `cloud delete photo (${language}, ${viewport})`);
  await page.keyboard.press('Enter');
  await viewer.waitFor({ state: 'detached' });
  await page.getByText(words.twoPhotos).waitFor();
  assert.equal(await grid.getByRole('row').count(), 2);
  const owner = (
    await t.request<BearerSession>('POST', '/v1/sessions', {
      body: { login: account.email, password: account.password, kind: 'api' },
    })
  ).body.token;
  assert.equal((await t.request('GET', '/v1/cloud/photos/IMG_0003.heic', { token: owner })).status, 404);

  // The other collections, reached with the tab list's arrow keys.
  await page.getByRole('tab', { name: words.photos }).focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('tab', { name: words.contacts, selected: true }).waitFor();
  await page.getByText('Zoe Martín').waitFor();
  const vcard = page.waitForEvent('download');
  await page.getByRole('button', { name: words.vcard }).click();
  const card = await readFile(await (await vcard).path(), 'utf8');
  assert.match(card, /BEGIN:VCARD\r\nVERSION:3\.0\r\nFN:Bruno Díaz\r\n/);
  assert.match(
    card,
    /FN:Zoe Martín\r\nN:Zoe Martín;;;;\r\nTEL;TYPE=CELL:\+34 600 111 222\r\nEMAIL:zoe@example\.com\r\nEND:VCARD/,
  );
  await page.getByRole('searchbox', { name: words.search }).fill('bruno');
  await page.getByText('Bruno Díaz').waitFor();
  assert.equal(await page.getByText('Zoe Martín').count(), 0);
  await expectNoAxeViolations(page, `cloud contacts (${language}, ${viewport})`);

  await page.keyboard.press('Shift+Tab');
  await page.getByRole('tab', { name: words.contacts }).focus();
  await page.keyboard.press('ArrowRight');
  await page.getByText('milk, bread').waitFor();
  const warning = page.getByRole('status').filter({ hasText: words.unreadable });
  await warning.getByText('n-damaged').waitFor();
  await expectNoAxeViolations(page, `cloud notes (${language}, ${viewport})`);

  await page.getByRole('tab', { name: words.notes }).focus();
  await page.keyboard.press('ArrowRight');
  const conversation = page.getByRole('region', { name: words.conversation });
  await conversation.getByText('See you at eight').waitFor();
  await conversation.getByText('On my way').waitFor();
  await expectNoAxeViolations(page, `cloud messages (${language}, ${viewport})`);
  await screenshot(page, 'cloud-messages', language, viewport);

  // App data: each app with the size of its data, the largest first.
  await page.getByRole('tab', { name: words.messages }).focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('tab', { name: words.appData, selected: true }).waitFor();
  const apps = page.getByRole('list', { name: words.appData }).getByRole('listitem');
  await apps.first().waitFor();
  const rows = await apps.allInnerTexts();
  assert.equal(rows.length, 2);
  assert.match(rows[0]!, new RegExp(`^org\\.example\\.reader\\.settings\\s+69\\s?(byte|B) · ${words.backedUp} `));
  assert.match(rows[1]!, new RegExp(`^com\\.example\\.game\\s+25\\s?(byte|B) · ${words.backedUp} `));
  await expectNoAxeViolations(page, `cloud app data (${language}, ${viewport})`);
  await screenshot(page, 'cloud-app-data', language, viewport);
  assert.deepEqual(problems, []);
  await context.close();
}

describePortal('portal: the cloud (photos gallery, contacts, notes, messages, app data) in Chromium', (suite) => {
  suite.each(
    'storage, the gallery by keyboard with the viewer and the download, the lists, app data per app, unreadable items',
    ({ portal, language, viewport }) => cloudFlow(portal, language, viewport),
  );

  test('an empty cloud says so in each list', async () => {
    const { portal } = suite;
    const account = await accountIn(portal.t, 'es');
    const { context, page, problems } = await portal.context('es', 'phone');
    await signInOnPage(page, account, text.es);
    await page.goto('/cloud');
    await page.getByText(text.es.emptyPhotos).waitFor();
    await page.getByRole('tab', { name: text.es.notes }).click();
    await page.getByText(text.es.emptyNotes).waitFor();
    await page.getByRole('tab', { name: text.es.appData }).click();
    await page.getByText(text.es.emptyAppData).waitFor();
    await expectNoAxeViolations(page, 'empty cloud');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a library larger than one page: its count at once, the older photos read as the grid scrolls to them', async () => {
    const { portal } = suite;
    const t = portal.t;
    const account = await accountIn(t, 'en');
    const token = (
      await t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
      })
    ).body.token;
    const device = await linkDevice(t, { ...account, token });
    const jpeg = await makeImage('jpeg', 8, 8);
    const total = 200;
    for (let n = 0; n < total; n += 1) {
      t.clock.advance(1000);
      const id = `IMG_${String(n).padStart(4, '0')}.jpg`;
      const put = await t.request('PUT', `/v1/cloud/photos/${id}`, {
        token: device.token,
        payload: jpeg,
        headers: { 'content-type': 'image/jpeg' },
      });
      assert.equal(put.status, 200, put.text);
    }
    const { context, page, problems } = await portal.context('en', 'desktop');
    const listed: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/cloud/photos') listed.push(request.url());
    });
    await signInOnPage(page, account, text.en);
    await page.goto('/cloud');
    // The whole library's count, from the first screen on, before the older pages are read.
    await page.getByText('200 photos', { exact: true }).waitFor();
    const grid = page.getByRole('grid', { name: text.en.photos });
    await grid.getByRole('row', { name: /^Photo IMG_0199\.jpg/ }).waitFor();
    assert.equal(listed.length, 1, 'one page read for the first screen');
    assert.equal(await grid.getByRole('row', { name: /^Photo IMG_0000\.jpg/ }).count(), 0);
    // The keyboard's End goes to the last photo read; the grid scrolls there, and the next pages come in.
    await tabIntoGrid(page, text.en.photos);
    const oldest = grid.getByRole('row', { name: /^Photo IMG_0000\.jpg/ });
    for (let presses = 1; ; presses += 1) {
      await page.keyboard.press('End');
      const shown = await oldest.waitFor({ timeout: 3000 }).then(
        () => true,
        () => false,
      );
      if (shown) break;
      assert.ok(presses < 5, 'the oldest photo never came into the grid');
    }
    assert.equal(await oldest.evaluate((row) => row.contains(document.activeElement)), true);
    assert.ok(listed.length >= 2, 'the older photos read on demand');
    // The oldest opens in the viewer, which counts the whole library.
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByText('Photo 200 of 200').waitFor();
    await expectNoAxeViolations(page, 'cloud gallery read on demand');
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const [language, viewport] of [
    ['en', 'desktop'],
    ['es', 'phone'],
  ] as [Language, Viewport][]) {
    test(`${language}, ${viewport}: download my data: the copy is made while the page shows it, and the zip downloads after the password`, async () => {
      const { portal } = suite;
      const words = text[language];
      const t = portal.t;
      const account = await accountIn(t, language);
      await seedCloud(t, account);
      const { context, page, problems } = await portal.context(language, viewport);
      await signInOnPage(page, account, words);
      await page.goto('/cloud');
      await tabTo(page, 'button', words.prepare, 80);
      await page.keyboard.press('Enter');
      // Made by a job: the page shows its progress until the job has run, then offers the zip.
      await page.getByRole('progressbar', { name: words.making }).waitFor();
      await expectNoAxeViolations(page, `cloud export pending (${language}, ${viewport})`);
      await t.drainJobs();
      await page.getByText(words.ready, { exact: false }).waitFor();
      await expectNoAxeViolations(page, `cloud export ready (${language}, ${viewport})`);
      await screenshot(page, 'cloud-export', language, viewport);

      // Eleven minutes later the session is no longer fresh: the shared prompt asks for the password, then the zip comes.
      t.clock.advance(11 * 60_000);
      await tabTo(page, 'button', words.downloadZip, 80);
      const downloaded = page.waitForEvent('download');
      await page.keyboard.press('Enter');
      await page.getByRole('dialog', { name: words.dialog }).waitFor();
      await page.keyboard.type(account.password);
      await page.keyboard.press('Enter');
      const file = await (await downloaded).path();
      const zip = await readFile(file);
      assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a zip');
      assert.ok(zip.includes(Buffer.from('IMG_0001.jpg')), 'with the photos in it');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('a list that cannot be read says why, in the reader’s language', async () => {
    const { portal } = suite;
    const account = await accountIn(portal.t, 'en');
    const { context, page, problems } = await portal.context('en', 'desktop');
    await signInOnPage(page, account, text.en);
    await page.goto('/cloud');
    await page.getByText(text.en.emptyPhotos).waitFor();
    // The browser's session ends elsewhere (signed out from another device): the next list asked for fails.
    const other = (
      await portal.t.request<BearerSession>('POST', '/v1/sessions', {
        body: { login: account.email, password: account.password, kind: 'api' },
      })
    ).body.token;
    assert.equal((await portal.t.request('DELETE', '/v1/sessions/others', { token: other })).status, 204);
    await page.getByRole('tab', { name: text.en.contacts }).click();
    await page.getByRole('alert').filter({ hasText: 'Your session has ended. Sign in again.' }).waitFor();
    await expectNoAxeViolations(page, 'cloud list error');
    assert.deepEqual(problems, []);
    await context.close();
  });
});

// The same flow once on PostgreSQL: the damaged row, the thumbnails and the delta pages on the other database.
for (const database of testDatabases().filter((d) => d === 'postgres')) {
  describePortal(
    `portal: the cloud on ${database}`,
    (suite) => {
      suite.each('the gallery, the viewer, the lists and an unreadable item', ({ portal, language, viewport }) =>
        cloudFlow(portal, language, viewport),
      );
    },
    { database, languages: ['en'], viewports: ['desktop'] },
  );
}
