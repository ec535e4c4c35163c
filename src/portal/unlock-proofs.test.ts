import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { makeImage, makeJpegOfSize } from '../cloud/test-images.js';
import { linkDevice } from '../devices/test-factories.js';
import { QUICK_CAPTCHA_ENV, solvedCaptcha } from '../testing/captcha.js';
import { asStaff } from '../testing/staff.js';
import { uniqueEmail, type TestAccount, type TestApp } from '../testing/test-app.js';
import { flowPairs, expectNoAxeViolations, type Portal, screenshot, startPortal, tabTo } from './browser.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

// Issues 16 and 17: the unlock form's proof upload with its progress bar; the console showing the proof
// inline (an image, a PDF drawn by pdf.js on a canvas); the four-eyes approval of a device in lost mode.

const text = {
  en: {
    unlockTitle: 'Ask for a device’s lock to be released',
    email: 'Your email address',
    choose: 'Choose files',
    chosen: 'Files to send',
    send: 'Send the request',
    sent: 'Request sent',
    attached: '2 files were attached to your request.',
    follow: 'Follow your request',
    statusTitle: 'Your unlock request',
    sendFiles: 'Send the files',
    attachedOne: '1 file was attached to your request.',
    uploading: /^Sending receipt\.jpg \(1 of 2\)/,
    one: 'Unlock request',
    fourEyes: 'Four eyes: this device is in lost mode',
    first: 'Give the first approval',
    firstDone: 'First approval recorded. A different staff member must now confirm it.',
    notYou: 'You gave the first approval: another staff member must confirm it.',
    awaiting: 'awaiting a second approval by a different staff member',
    confirm: 'Confirm as second approver',
    approved: 'Approved. The waiting period has started.',
    waiting: 'Approved, in the waiting period',
    file: (n: number, type: string) => new RegExp(`^File ${n} \\(${type},`),
    page: (n: number, of: number) => new RegExp(`^Page ${n} of ${of} of File 2 \\(PDF, `),
    nextPage: 'Next page',
    previousPage: 'Previous page',
  },
  es: {
    unlockTitle: 'Pedir que se libere el bloqueo de un dispositivo',
    email: 'Tu correo electrónico',
    choose: 'Elegir archivos',
    chosen: 'Archivos que se enviarán',
    send: 'Enviar la solicitud',
    sent: 'Solicitud enviada',
    attached: 'Se adjuntaron 2 archivos a tu solicitud.',
    follow: 'Seguir tu solicitud',
    statusTitle: 'Tu solicitud de desbloqueo',
    sendFiles: 'Enviar los archivos',
    attachedOne: 'Se adjuntó 1 archivo a tu solicitud.',
    uploading: /^Enviando receipt\.jpg \(1 de 2\)/,
    one: 'Solicitud de desbloqueo',
    fourEyes: 'Cuatro ojos: este dispositivo está en modo perdido',
    first: 'Dar la primera aprobación',
    firstDone: 'Primera aprobación registrada. Ahora otra persona del personal debe confirmarla.',
    notYou: 'Diste la primera aprobación: otra persona del personal debe confirmarla.',
    awaiting: 'a la espera de una segunda aprobación de otra persona del personal',
    confirm: 'Confirmar como segunda persona',
    approved: 'Aprobada. Ha empezado el periodo de espera.',
    waiting: 'Aprobada, en periodo de espera',
    file: (n: number, type: string) => new RegExp(`^Archivo ${n} \\(${type},`),
    page: (n: number, of: number) => new RegExp(`^Página ${n} de ${of} de Archivo 2 \\(PDF, `),
    nextPage: 'Página siguiente',
    previousPage: 'Página anterior',
  },
} as const;

/**
 * A small, well-formed PDF of two pages with visible content, as an invoice would be: a line of text
 * and a blue box on the first page, a red box on the second.
 */
const PDF = (() => {
  const first = 'BT /F1 18 Tf 20 150 Td (Invoice 42: phone, 199 EUR) Tj ET 0 0 0.6 rg 20 40 160 40 re f';
  const second = 'BT /F1 18 Tf 20 150 Td (Terms) Tj ET 0.8 0 0 rg 20 40 160 40 re f';
  const page = (contents: number) =>
    `<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Resources<</Font<</F1 4 0 R>>>>/Contents ${contents} 0 R>>`;
  const stream = (content: string) => `<</Length ${content.length}>>stream\n${content}\nendstream`;
  const objects = [
    '<</Type/Catalog/Pages 2 0 R>>',
    '<</Type/Pages/Kids[3 0 R 6 0 R]/Count 2>>',
    page(5),
    '<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>',
    stream(first),
    page(7),
    stream(second),
  ];
  let body = '%PDF-1.4\n';
  const offsets = objects.map((object, index) => {
    const offset = body.length;
    body += `${index + 1} 0 obj${object}endobj\n`;
    return offset;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
})();

/** How many of a canvas's pixels are paper white, near black, blue and red: a drawn page, not a blank one. */
function canvasPixels(canvas: Locator) {
  return canvas.evaluate((element) => {
    const drawn = element as HTMLCanvasElement;
    const data = drawn.getContext('2d')!.getImageData(0, 0, drawn.width, drawn.height).data;
    const counts = { total: data.length / 4, white: 0, dark: 0, blue: 0, red: 0 };
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
      if (a !== 255) continue;
      if (r > 240 && g > 240 && b > 240) counts.white += 1;
      else if (r < 80 && g < 80 && b < 80) counts.dark += 1;
      else if (b > 120 && r < 60 && g < 60) counts.blue += 1;
      else if (r > 150 && g < 60 && b < 60) counts.red += 1;
    }
    return counts;
  });
}

async function solveCaptcha(page: Page): Promise<void> {
  await page.locator('altcha-widget input[type="checkbox"]').focus();
  await page.keyboard.press('Space');
  await page
    .locator('altcha-widget [data-state="verified"], altcha-widget .altcha[data-state="verified"]')
    .first()
    .waitFor({ timeout: 60_000 });
}

let ipCounter = 0;
/** An unlock request made through the API, with a photo and a PDF attached as its requester would. */
async function requestWithFiles(t: TestApp, serial: string): Promise<string> {
  ipCounter += 1;
  const ip = `10.79.0.${ipCounter}`;
  const created = await t.request<Api<'UnlockRequestCreated'>>('POST', '/v1/unlock-requests', {
    ip,
    body: {
      serial,
      contact: { email: uniqueEmail('buyer') },
      proof: { kind: 'invoice' },
      captcha: await solvedCaptcha(t, ip),
    },
  });
  assert.equal(created.status, 202, created.text);
  for (const [bytes, type] of [
    [await makeImage('png', 320, 200), 'image/png'],
    [PDF, 'application/pdf'],
  ] as const) {
    const added = await t.request('POST', `/v1/unlock-requests/${created.body.id}/proofs`, {
      payload: bytes,
      headers: { 'content-type': type, 'x-status-token': created.body.statusToken },
    });
    assert.equal(added.status, 201, added.text);
  }
  return created.body.id;
}

async function lostModeDevice(t: TestApp, owner: TestAccount) {
  const device = await linkDevice(t, owner);
  const lock = await t.request('POST', `/v1/devices/${device.id}/commands`, {
    token: owner.token,
    body: { type: 'lock', message: 'Lost phone, call +34 600 000 000' },
  });
  assert.equal(lock.status, 202, lock.text);
  return device;
}

describe('unlock proof files and four eyes in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite', { ...QUICK_CAPTCHA_ENV });
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: a buyer attaches a photo and a PDF; the upload shows its progress; the status page takes one more`, async () => {
      const words = text[language];
      const t = portal.t;
      const owner = await t.signUp();
      const device = await linkDevice(t, owner);
      const { context, page, problems } = await portal.context(language, viewport);
      await page.goto(`/unlock?serial=${encodeURIComponent(device.serial)}`);
      await page.getByRole('heading', { level: 1, name: words.unlockTitle }).waitFor();
      await tabTo(page, 'textbox', words.email);
      const buyerEmail = uniqueEmail('buyer');
      await page.keyboard.type(buyerEmail);

      // The picker is a button: reached with the keyboard, it opens the system's file chooser.
      await tabTo(page, 'button', words.choose);
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
      const photo = await makeJpegOfSize(3 * 1024 * 1024);
      await chooser.setFiles([
        { name: 'receipt.jpg', mimeType: 'image/jpeg', buffer: photo },
        { name: 'invoice.pdf', mimeType: 'application/pdf', buffer: PDF },
      ]);
      const chosen = page.getByRole('list', { name: words.chosen });
      await chosen.getByText('receipt.jpg').waitFor();
      await chosen.getByText('invoice.pdf').waitFor();
      await solveCaptcha(page);
      await expectNoAxeViolations(page, `unlock form with files (${language}, ${viewport})`);
      await screenshot(page, 'unlock-request-files', language, viewport);

      // A slow uplink, so that the progress of the 3 MiB photo can be watched as it goes.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: 1024 * 1024,
      });
      await tabTo(page, 'button', words.send);
      await page.keyboard.press('Enter');
      const bar = page.getByRole('progressbar', { name: words.uploading });
      await bar.waitFor();
      let seen = 0;
      for (let i = 0; i < 200 && seen === 0; i += 1) {
        const now = Number((await bar.getAttribute('aria-valuenow').catch(() => null)) ?? 0);
        if (now > 0 && now < 100) seen = now;
        else await page.waitForTimeout(25);
      }
      assert.ok(seen > 0 && seen < 100, `the bar showed the upload part way (${seen} %)`);
      await expectNoAxeViolations(page, `unlock form uploading (${language}, ${viewport})`);
      await page.getByRole('heading', { level: 1, name: words.sent }).waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: -1,
      });
      await page.getByText(words.attached).waitFor();
      await expectNoAxeViolations(page, `unlock request sent with files (${language}, ${viewport})`);

      // Until staff decide, the status page takes more files.
      await tabTo(page, 'link', words.follow);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: words.statusTitle }).waitFor();
      await tabTo(page, 'button', words.choose);
      const [more] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
      const box = await makeImage('webp');
      await more.setFiles([{ name: 'box.webp', mimeType: 'image/webp', buffer: box }]);
      await page.getByRole('list', { name: words.chosen }).getByText('box.webp').waitFor();
      await tabTo(page, 'button', words.sendFiles);
      await page.keyboard.press('Enter');
      await page.getByText(words.attachedOne).waitFor();
      await expectNoAxeViolations(page, `unlock status with a file added (${language}, ${viewport})`);
      await screenshot(page, 'unlock-status-files', language, viewport);

      // The request exists with both files, typed by their bytes.
      const staff = await staffIn(t, 'support');
      const listed = (
        await asStaff(t, staff)<Api<'UnlockRequestList'>>('GET', '/v1/admin/unlock-requests')
      ).body.unlockRequests.find((r) => r.contact.email === buyerEmail);
      assert.ok(listed);
      assert.deepEqual(
        listed.proof.files.map((f) => [f.contentType, f.size]),
        [
          ['image/jpeg', photo.length],
          ['application/pdf', PDF.length],
          ['image/webp', box.length],
        ],
      );
      assert.deepEqual(problems, []);
      await context.close();
    });

    test(`${language}, ${viewport}: staff see the photo inline and the PDF drawn on a canvas; a lost device takes two staff members to approve`, async () => {
      const words = text[language];
      const t = portal.t;
      const owner = await t.signUp();
      const device = await lostModeDevice(t, owner);
      const id = await requestWithFiles(t, device.serial);
      const first = await staffIn(t, 'support');
      const second = await staffIn(t, 'admin');

      const one = await portal.context(language, viewport);
      await signInToConsole(t, one.page, first, language, `/admin/unlock-requests/${id}`, words.one);
      const image = one.page.getByRole('img', { name: words.file(1, 'PNG') });
      await image.waitFor();
      await one.page.waitForFunction(
        (element) => (element as HTMLImageElement).complete && (element as HTMLImageElement).naturalWidth === 320,
        await image.elementHandle(),
      );
      assert.equal(await one.page.locator('iframe').count(), 0, 'no frame: Chromium shows none in a sandbox');
      const canvas = one.page.getByRole('img', { name: words.page(1, 2) });
      await canvas.waitFor();
      await one.page.locator('canvas[data-drawn="true"]').waitFor();
      // The first page is drawn: white paper, dark text and a blue box, not a blank canvas.
      const firstPage = await canvasPixels(canvas);
      assert.ok(firstPage.white > firstPage.total / 2, `mostly paper: ${JSON.stringify(firstPage)}`);
      assert.ok(firstPage.blue > firstPage.total / 20, `the blue box: ${JSON.stringify(firstPage)}`);
      assert.ok(firstPage.dark > 50, `the text: ${JSON.stringify(firstPage)}`);
      assert.equal(firstPage.red, 0, `not the second page: ${JSON.stringify(firstPage)}`);
      assert.ok(await one.page.getByRole('button', { name: words.previousPage }).isDisabled());
      // The keyboard turns the page.
      await tabTo(one.page, 'button', words.nextPage);
      await one.page.keyboard.press('Enter');
      const secondCanvas = one.page.getByRole('img', { name: words.page(2, 2) });
      await secondCanvas.waitFor();
      await one.page.locator('canvas[data-drawn="true"]').waitFor();
      const secondPage = await canvasPixels(secondCanvas);
      assert.ok(secondPage.red > secondPage.total / 20, `the red box: ${JSON.stringify(secondPage)}`);
      assert.equal(secondPage.blue, 0, `not the first page: ${JSON.stringify(secondPage)}`);
      assert.ok(await one.page.getByRole('button', { name: words.nextPage }).isDisabled());
      // The focus moved from the button now disabled to the other one.
      assert.ok(
        await one.page
          .getByRole('button', { name: words.previousPage })
          .evaluate((button) => button === document.activeElement),
      );
      await one.page.keyboard.press('Enter');
      await one.page.getByRole('img', { name: words.page(1, 2) }).waitFor();
      await one.page.locator('canvas[data-drawn="true"]').waitFor();
      const download = one.page.locator('a[download$=".pdf"]');
      assert.equal(await download.count(), 1);
      const served = await one.page.request.get((await download.getAttribute('href'))!);
      assert.equal(served.status(), 200);
      assert.equal(served.headers()['content-type'], 'application/pdf');
      assert.match(served.headers()['content-security-policy'] ?? '', /^sandbox;/);
      assert.equal(served.headers()['x-content-type-options'], 'nosniff');
      assert.equal(served.headers()['content-disposition'], 'inline');
      assert.ok((await served.body()).equals(PDF));

      await one.page.getByText(words.fourEyes).waitFor();
      await expectNoAxeViolations(one.page, `unlock request with proof files (${language}, ${viewport})`);
      await screenshot(one.page, 'console-unlock-proof', language, viewport);
      await tabTo(one.page, 'button', words.first);
      await one.page.keyboard.press('Enter');
      await one.page.getByText(words.firstDone).waitFor();
      await one.page.getByText(words.notYou).waitFor();
      assert.equal(await one.page.getByRole('button', { name: words.confirm }).count(), 0, 'not for the same person');
      await expectNoAxeViolations(one.page, `unlock request awaiting a second approval (${language}, ${viewport})`);

      const two = await portal.context(language, viewport);
      await signInToConsole(t, two.page, second, language, `/admin/unlock-requests/${id}`, words.one);
      await two.page.getByText(first.email, { exact: false }).first().waitFor();
      await two.page.getByText(words.awaiting, { exact: false }).waitFor();
      await screenshot(two.page, 'console-unlock-four-eyes', language, viewport);
      await tabTo(two.page, 'button', words.confirm);
      await two.page.keyboard.press('Enter');
      await two.page.getByText(words.approved).waitFor();
      await two.page.getByText(words.waiting).first().waitFor();
      await expectNoAxeViolations(two.page, `unlock request approved by two (${language}, ${viewport})`);
      const view = await asStaff(t, second)<Api<'UnlockRequest'>>('GET', `/v1/admin/unlock-requests/${id}`);
      assert.equal(view.body.status, 'waiting');

      assert.deepEqual(one.problems, []);
      assert.deepEqual(two.problems, []);
      await one.context.close();
      await two.context.close();
    });
  }
});
