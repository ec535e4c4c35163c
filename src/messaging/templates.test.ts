import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { codeIn } from '../testing/messages.js';
import { LOCALES, localeFromHeader, renderMessage, type MessageKind, type MessageParams } from './templates.js';

// One example of every message kind: a kind added without an example here fails the typecheck, so
// every kind is rendered below in every locale.
const examples: { [K in MessageKind]: MessageParams[K] } = {
  signup_code: { code: '123456', minutes: 15 },
  signup_already_registered: {},
  address_change_code: { code: '654321', minutes: 15, field: 'email' },
  address_changed: { field: 'phone', newAddress: '+34612345678' },
  address_changed_undo: {
    field: 'email',
    newAddress: 'new@example.com',
    undoUrl: 'https://id.example.com/account/undo-change?token=abc',
    days: 7,
    lockUrl: 'https://id.example.com/account/lock?token=def',
  },
  password_changed: {},
  new_client_sign_in: {
    client: 'Firefox/128.0',
    ip: '203.0.113.7',
    at: 'Mon, 23 Nov 2026 12:00:00 GMT',
    lockUrl: 'https://id.example.com/account/lock?token=def',
    days: 7,
  },
  device_linked: { model: 'Pixel 9', name: 'Ana’s phone', at: 'Mon, 23 Nov 2026 12:00:00 GMT' },
  bootloader_unlock_authorised: {
    model: 'Pixel 9',
    name: 'Ana’s phone',
    at: 'Mon, 23 Nov 2026 12:00:00 GMT',
    expiresAt: 'Mon, 23 Nov 2026 13:00:00 GMT',
  },
  recovery_code: { code: '000042', minutes: 15 },
  password_recovered: { via: 'email', ip: '198.51.100.4', at: 'Mon, 23 Nov 2026 12:00:00 GMT' },
  deletion_code: { code: '314159', seconds: 60 },
  account_deleted: { at: 'Mon, 23 Nov 2026 12:00:00 GMT', keptLocks: 2 },
  account_deletion_scheduled: {
    at: 'Mon, 23 Nov 2026 12:00:00 GMT',
    eraseAt: 'Mon, 7 Dec 2026 12:00:00 GMT',
    cancelUrl: 'https://id.example.com/account/cancel-deletion#token=abc',
  },
  unlock_request_received: { statusUrl: 'https://id.example.com/unlock/r1#token=abc' },
  unlock_request_owner_notice: {
    serialHint: 'A1B2',
    releaseAt: 'Thu, 26 Nov 2026 12:00:00 GMT',
    requestId: 'r1',
    objectUrl: 'https://id.example.com/unlock/r1/object',
  },
  unlock_request_approved: {
    releaseAt: 'Thu, 26 Nov 2026 12:00:00 GMT',
    statusUrl: 'https://id.example.com/unlock/r1#token=abc',
  },
  unlock_request_rejected: { statusUrl: 'https://id.example.com/unlock/r1#token=abc' },
  unlock_request_objected: { statusUrl: 'https://id.example.com/unlock/r1#token=abc' },
  unlock_request_released: { serialHint: 'A1B2' },
  unlock_device_released: { serialHint: 'A1B2', at: 'Thu, 26 Nov 2026 12:00:00 GMT' },
  two_step_changed: { change: 'passkey_added', at: 'Thu, 26 Nov 2026 12:00:00 GMT' },
  recovery_codes_low: { remaining: 2 },
  account_locked: { at: 'Thu, 26 Nov 2026 12:00:00 GMT', ip: '203.0.113.7' },
  account_suspended: { at: 'Thu, 26 Nov 2026 12:00:00 GMT', reason: 'fraud report 42' },
  account_restored: { at: 'Thu, 26 Nov 2026 13:00:00 GMT', reason: 'report withdrawn' },
  recovery_waiting: {
    completesAt: 'Thu, 3 Dec 2026 12:00:00 GMT',
    ip: '203.0.113.7',
    cancelUrl: 'https://id.example.com/account/recovery-cancel?token=abc',
  },
};
const kinds = Object.keys(examples) as MessageKind[];
const render = (kind: MessageKind, locale: string, params: object = examples[kind]) =>
  renderMessage(kind, locale, params as never);
const carriesCode = (kind: MessageKind) => 'code' in examples[kind];

describe('message templates', () => {
  test('every kind renders in English and in Spanish, with a subject and a text of its own', () => {
    for (const kind of kinds) {
      const en = render(kind, 'en');
      const es = render(kind, 'es');
      for (const [locale, message] of [
        ['en', en],
        ['es', es],
      ] as const) {
        assert.ok(message.subject.trim().length > 0, `${kind}/${locale} has a subject`);
        assert.ok(message.text.trim().length > 0, `${kind}/${locale} has a text`);
        assert.ok(!message.subject.includes('\n'), `${kind}/${locale} subject is one line`);
        assert.doesNotMatch(
          `${message.subject} ${message.text}`,
          /undefined|null|NaN|\[object/,
          `${kind}/${locale} has every parameter filled in`,
        );
      }
      assert.notEqual(es.text, en.text, `${kind} is translated`);
      assert.notEqual(es.subject, en.subject, `${kind} subject is translated`);
    }
    assert.deepEqual([...LOCALES].sort(), ['en', 'es']);
  });

  test('a message with a code carries it as its only 6-digit number, whatever the code', () => {
    const codeKinds = kinds.filter(carriesCode);
    assert.ok(codeKinds.includes('signup_code') && codeKinds.includes('address_change_code'));
    for (const kind of codeKinds) {
      for (const locale of LOCALES) {
        for (const code of ['000000', '012345', '999999', '100000']) {
          for (const minutes of [1, 10, 15, 60, 1440]) {
            const { subject, text } = render(kind, locale, { ...examples[kind], code, minutes });
            assert.equal(codeIn(text), code, `${kind}/${locale}`);
            assert.ok(
              !subject.includes(code),
              `${kind}/${locale}: the code stays out of the subject (lock screens show it)`,
            );
          }
        }
      }
    }
  });

  test('messages without a code carry no 6-digit number that could be taken for one', () => {
    for (const kind of kinds.filter((k) => !carriesCode(k))) {
      for (const locale of LOCALES) {
        const numbers = render(kind, locale).text.match(/\d+/g) ?? [];
        assert.ok(!numbers.some((n) => n.length === 6), `${kind}/${locale}`);
      }
    }
  });

  test('an unknown locale falls back to English; a regional or differently written tag finds its language', () => {
    const english = render('signup_code', 'en');
    const spanish = render('signup_code', 'es');
    for (const locale of ['fr', 'de-DE', '', 'xx', 'english', 'e'])
      assert.deepEqual(render('signup_code', locale), english, `"${locale}"`);
    for (const locale of ['es-MX', 'es_ES', 'ES', ' es '])
      assert.deepEqual(render('signup_code', locale), spanish, `"${locale}"`);
  });

  test('the locale of a request follows Accept-Language preferences, English when none is supported', () => {
    assert.equal(localeFromHeader(undefined), 'en');
    assert.equal(localeFromHeader(''), 'en');
    assert.equal(localeFromHeader('*'), 'en');
    assert.equal(localeFromHeader('fr-FR,fr;q=0.9'), 'en');
    assert.equal(localeFromHeader('es-ES,es;q=0.9,en;q=0.8'), 'es');
    assert.equal(localeFromHeader('fr-FR, es;q=0.8, en;q=0.5'), 'es');
    assert.equal(localeFromHeader('en;q=0.3, es-419;q=0.9'), 'es');
    assert.equal(localeFromHeader('es;q=0, en'), 'en');
    assert.equal(localeFromHeader('de, en-GB;q=0.7'), 'en');
  });
});
