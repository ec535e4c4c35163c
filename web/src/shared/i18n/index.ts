import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import en from './en.json';
import es from './es.json';

export const LANGUAGES = ['en', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'lanyard.language';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The person's choice on this browser, else the browser's languages, else English. */
export function initialLanguage(): Language {
  const chosen = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (isLanguage(chosen)) return chosen;
  for (const tag of globalThis.navigator?.languages ?? []) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, es: { translation: es } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
  returnNull: false,
});

function applyDocumentLanguage(language: string) {
  document.documentElement.lang = language;
}
applyDocumentLanguage(i18next.language);
i18next.on('languageChanged', applyDocumentLanguage);

/** Switches the language and remembers the choice on this browser (only a language, never a token). */
export async function chooseLanguage(language: Language): Promise<void> {
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
  await i18next.changeLanguage(language);
}

export function hasChosenLanguage(): boolean {
  return isLanguage(globalThis.localStorage?.getItem(STORAGE_KEY));
}

/** An API error in the reader's language, by its code (never by the server's English text). */
export function useErrorText() {
  const { t } = useTranslation();
  return (error: unknown): string => {
    if (error instanceof ApiError) {
      const key = `errors.${error.code}`;
      return i18next.exists(key) ? t(key) : t('errors.unknown');
    }
    return t('errors.network');
  };
}

/** The message for one field of a validation_failed answer, if the server named that field. */
export function fieldError(error: unknown, field: string, message: string): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return undefined;
  return error.problem.errors?.some((e) => e.path === `/${field}` || e.path === field) ? message : undefined;
}

export function useFormat() {
  const { i18n } = useTranslation();
  const locale = i18n.language;
  return {
    date: (iso: string | null | undefined) => (iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : ''),
    number: (n: number) => new Intl.NumberFormat(locale).format(n),
    bytes: (n: number) => {
      const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
      let value = n;
      let unit = 0;
      while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit += 1;
      }
      return new Intl.NumberFormat(locale, { style: 'unit', unit: units[unit], unitDisplay: 'short', maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
    },
  };
}

export { i18next };
