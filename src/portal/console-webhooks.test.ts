import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { deleteAccount } from '../deletion/test-helpers.js';
import { flowPairs, expectNoAxeViolations, screenshot, startPortal, tabTo, type Portal } from './browser.js';
import { asStaff } from '../testing/staff.js';
import { signInToConsole, staffIn } from './staff.js';
import type { Api } from '../testing/api-types.js';

const text = {
  en: {
    title: 'Webhooks',
    url: 'URL',
    register: 'Register',
    badUrl: 'This URL cannot receive webhooks: use an http:// or https:// address outside our network.',
    secretOnce: 'Copy it now: it is shown this once and cannot be read again.',
    trying: 'Being tried',
    delivered: 'Delivered',
    answered: 'the receiver answered 500',
    again: (id: string) => `Send again: ${id}`,
    sentAgain: 'Sent again: the delivery is being tried now.',
    remove: 'Remove the endpoint',
    removeForGood: 'Remove it for good',
    removed: (url: string) => `${url} was removed with its delivery history.`,
  },
  es: {
    title: 'Webhooks',
    url: 'URL',
    register: 'Registrar',
    badUrl: 'Esta URL no puede recibir webhooks: usa una dirección http:// o https:// fuera de nuestra red.',
    secretOnce: 'Cópialo ahora: solo se muestra esta vez y no se puede volver a leer.',
    trying: 'En curso',
    delivered: 'Entregado',
    answered: 'the receiver answered 500',
    again: (id: string) => `Volver a enviar: ${id}`,
    sentAgain: 'Enviado de nuevo: se está intentando ahora.',
    remove: 'Eliminar la dirección',
    removeForGood: 'Eliminarla definitivamente',
    removed: (url: string) => `${url} se eliminó junto con su historial de envíos.`,
  },
} as const;

/** A linked service's endpoint on 127.0.0.1: the first POST answers 500, the next ones 204. */
async function startReceiver() {
  const ids: string[] = [];
  const server = http.createServer((request, response) => {
    request.resume().on('end', () => {
      ids.push(String(request.headers['webhook-id']));
      response.statusCode = ids.length === 1 ? 500 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    ids,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('staff console: webhooks in Chromium', () => {
  let portal: Portal;
  before(async () => {
    portal = await startPortal('sqlite', { LANYARD_WEBHOOKS_ALLOW_LOOPBACK: 'on' });
  });
  after(async () => portal?.close());

  for (const { language, viewport } of flowPairs()) {
    test(`${language}, ${viewport}: an admin registers an endpoint (secret once), follows its deliveries, sends one again, and removes it`, async () => {
      const words = text[language];
      const t = portal.t;
      const receiver = await startReceiver();
      try {
        const admin = await staffIn(t, 'admin');
        const { context, page, problems } = await portal.context(language, viewport);
        await signInToConsole(t, page, admin, language, '/admin/webhooks', words.title);
        await tabTo(page, 'textbox', words.url);
        await page.keyboard.type('ftp://example.com/x');
        await tabTo(page, 'button', words.register);
        await page.keyboard.press('Enter');
        await page.getByText(words.badUrl).waitFor();
        await page.getByRole('textbox', { name: words.url }).fill(receiver.url);
        await tabTo(page, 'button', words.register);
        await page.keyboard.press('Enter');
        await page.getByText(words.secretOnce).waitFor();
        assert.match((await page.getByTestId('secret').textContent())!, /^whsec_/);
        await expectNoAxeViolations(page, `webhooks (${language}, ${viewport})`);
        await screenshot(page, 'console-webhooks', language, viewport);

        // An account is deleted: the event goes out, and the first try fails.
        await deleteAccount(t, await t.signUp(), {});
        await t.drainJobs();
        await tabTo(page, 'link', receiver.url);
        await page.keyboard.press('Enter');
        await page.getByText(words.answered).waitFor();
        await page.getByText(words.trying, { exact: true }).waitFor();
        const eventId = receiver.ids[0]!;
        assert.equal(
          await page.getByRole('button', { name: words.again(eventId) }).count(),
          0,
          'a delivery being tried is not sent again by hand',
        );

        // The next try succeeds; the receiver says it lost it, and staff send it again.
        const hooks = (await asStaff(t, admin)<Api<'WebhookList'>>('GET', '/v1/admin/webhooks')).body
          .webhooks as Array<{
          id: string;
          url: string;
        }>;
        assert.ok(hooks.some((h) => h.url === receiver.url));
        t.clock.advance(60_000);
        await t.drainJobs();
        await page.reload();
        await page.getByText(words.delivered, { exact: true }).waitFor();
        await expectNoAxeViolations(page, `webhook deliveries (${language}, ${viewport})`);
        await screenshot(page, 'console-webhook', language, viewport);
        await tabTo(page, 'button', words.again(eventId));
        await page.keyboard.press('Enter');
        await page.getByText(words.sentAgain).waitFor();
        await t.drainJobs();
        assert.deepEqual(receiver.ids, [eventId, eventId, eventId]);

        await tabTo(page, 'button', words.remove, 60);
        await page.keyboard.press('Enter');
        await page.getByRole('button', { name: words.removeForGood }).waitFor();
        await page.keyboard.press('Enter');
        await page.getByText(words.removed(receiver.url)).waitFor();
        assert.equal(new URL(page.url()).pathname, '/admin/webhooks');
        assert.deepEqual(problems, []);
        await context.close();
      } finally {
        await receiver.close();
      }
    });
  }
});
