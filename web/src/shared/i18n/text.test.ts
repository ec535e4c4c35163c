import i18next from 'i18next';
import { describe, expect, test } from 'vitest';
import { ApiError } from '../api/client';
import en from './en.json';
import es from './es.json';
import { errorTextOf, fieldError, formatters } from './text';

/** Every key path of a catalogue, e.g. signIn.title. */
function keys(catalogue: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    value !== null && typeof value === 'object'
      ? keys(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

async function translator(language: 'en' | 'es') {
  const instance = i18next.createInstance();
  await instance.init({
    resources: { en: { translation: en }, es: { translation: es } },
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
  });
  return { t: (key: string) => instance.t(key), exists: (key: string) => instance.exists(key) };
}

const problem = (code: string, status = 400, extra: Record<string, unknown> = {}) =>
  new ApiError({ code, status, ...extra });

describe('catalogues', () => {
  test('English and Spanish have the same keys', () => {
    expect(keys(es).sort()).toEqual(keys(en).sort());
  });
});

describe('errorTextOf', () => {
  test('an API error is told by its code in the reader language, nested codes (domain.reason) too', async () => {
    const english = await translator('en');
    const spanish = await translator('es');
    expect(errorTextOf(problem('invalid_credentials', 401), english.t, english.exists)).toBe(
      en.errors.invalid_credentials,
    );
    expect(errorTextOf(problem('invalid_credentials', 401), spanish.t, spanish.exists)).toBe(
      es.errors.invalid_credentials,
    );
    const nested = keys(en.errors).find((key) => key.includes('.'))!;
    expect(nested).toBeDefined();
    expect(errorTextOf(problem(nested), spanish.t, spanish.exists)).toBe(spanish.t(`errors.${nested}`));
    expect(errorTextOf(problem(nested), spanish.t, spanish.exists)).not.toBe(english.t(`errors.${nested}`));
  });

  test('an unknown code gets the general message, never the server text', async () => {
    const { t, exists } = await translator('es');
    expect(errorTextOf(problem('nothing.like_this', 400, { detail: 'English detail' }), t, exists)).toBe(
      es.errors.unknown,
    );
  });

  test('anything that is not an API answer is a network problem', async () => {
    const { t, exists } = await translator('en');
    expect(errorTextOf(new TypeError('Failed to fetch'), t, exists)).toBe(en.errors.network);
    expect(errorTextOf(undefined, t, exists)).toBe(en.errors.network);
  });
});

describe('fieldError', () => {
  const invalid = problem('validation_failed', 400, {
    errors: [{ path: '/email', message: 'must match format "email"' }],
  });
  test('names the field the server named, by JSON pointer or bare name', () => {
    expect(fieldError(invalid, 'email', 'Check the email')).toBe('Check the email');
    expect(
      fieldError(problem('validation_failed', 400, { errors: [{ path: 'email', message: 'x' }] }), 'email', 'm'),
    ).toBe('m');
  });
  test('says nothing for other fields, other codes or other errors', () => {
    expect(fieldError(invalid, 'password', 'm')).toBeUndefined();
    expect(fieldError(problem('auth.invalid_credentials', 401), 'email', 'm')).toBeUndefined();
    expect(fieldError(new Error('x'), 'email', 'm')).toBeUndefined();
  });
});

describe('formatters', () => {
  const when = '2026-03-05T14:07:00Z';
  test('dates in the locale words and order', () => {
    const english = formatters('en').date(when);
    const spanish = formatters('es').date(when);
    expect(english).toMatch(/Mar 5, 2026/);
    expect(spanish).toMatch(/5 mar 2026/);
    expect(formatters('en').date(null)).toBe('');
    expect(formatters('en').date(undefined)).toBe('');
  });

  test('numbers with the locale separators', () => {
    expect(formatters('en').number(1234567.5)).toBe('1,234,567.5');
    expect(formatters('es').number(1234567.5)).toBe('1.234.567,5');
  });

  test('sizes in the largest unit under 1024, one decimal at most', () => {
    const en = formatters('en');
    expect(en.bytes(0)).toBe('0 byte');
    expect(en.bytes(1023)).toBe('1,023 byte');
    expect(en.bytes(1536)).toBe('1.5 kB');
    expect(en.bytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(en.bytes(3 * 1024 ** 4)).toBe('3,072 GB');
    expect(formatters('es').bytes(1536)).toBe('1,5 kB');
  });
});
