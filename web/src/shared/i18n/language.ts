// Which language a page speaks, chosen the same way by the portal, the staff console and the sign-in page
// (its own entry, without i18next): the person's choice on this browser, else the browser's languages.
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

/** Remembers the person's choice on this browser (only a language, never a token). */
export function rememberLanguage(language: Language): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
}

export function hasChosenLanguage(): boolean {
  return isLanguage(globalThis.localStorage?.getItem(STORAGE_KEY));
}
