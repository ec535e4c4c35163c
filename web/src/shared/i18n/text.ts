// The i18n helpers that are plain functions (no React, no i18next instance of their own): the hooks in
// ./index.ts wrap them, and web/src/shared/i18n/text.test.ts checks them.
import { ApiError } from '../api/client';

/** An API error in the reader's language, by its code (never by the server's English text). */
export function errorTextOf(error: unknown, t: (key: string) => string, exists: (key: string) => boolean): string {
  if (error instanceof ApiError) {
    const key = `errors.${error.code}`;
    return exists(key) ? t(key) : t('errors.unknown');
  }
  return t('errors.network');
}

/** The message for one field of a validation_failed answer, if the server named that field. */
export function fieldError(error: unknown, field: string, message: string): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return undefined;
  return error.problem.errors?.some((e) => e.path === `/${field}` || e.path === field) ? message : undefined;
}

type Formatters = {
  date: (iso: string | null | undefined) => string;
  number: (n: number) => string;
  bytes: (n: number) => string;
};
const byLocale = new Map<string, Formatters>();
const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/**
 * Dates, numbers and sizes as the locale writes them. The Intl formatters are made once per locale: making
 * one costs far more than formatting, and the gallery labels 10,000 photos with their dates.
 */
export function formatters(locale: string): Formatters {
  const known = byLocale.get(locale);
  if (known) return known;
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const numbers = new Intl.NumberFormat(locale);
  const sizes = UNITS.map(
    (unit, index) =>
      new Intl.NumberFormat(locale, {
        style: 'unit',
        unit,
        unitDisplay: 'short',
        maximumFractionDigits: index === 0 ? 0 : 1,
      }),
  );
  const made: Formatters = {
    date: (iso) => (iso ? dates.format(new Date(iso)) : ''),
    number: (n) => numbers.format(n),
    bytes: (n) => {
      let value = n;
      let unit = 0;
      while (value >= 1024 && unit < UNITS.length - 1) {
        value /= 1024;
        unit += 1;
      }
      return sizes[unit]!.format(value);
    },
  };
  byLocale.set(locale, made);
  return made;
}
