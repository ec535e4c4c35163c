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

/** Dates, numbers and sizes as the locale writes them. */
export function formatters(locale: string) {
  return {
    date: (iso: string | null | undefined) =>
      iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '',
    number: (n: number) => new Intl.NumberFormat(locale).format(n),
    bytes: (n: number) => {
      const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
      let value = n;
      let unit = 0;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit += 1;
      }
      return new Intl.NumberFormat(locale, {
        style: 'unit',
        unit: units[unit],
        unitDisplay: 'short',
        maximumFractionDigits: unit === 0 ? 0 : 1,
      }).format(value);
    },
  };
}
