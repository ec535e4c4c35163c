import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { errorTextOf, fieldError, formatters } from './text';
// Only the words of the shell, the sign-in page (and its second step) and the API's errors are in the first
// page's JavaScript (Vite's JSON named exports, tree-shaken); `allWords()` fetches the rest (the sign-in
// page's JavaScript budget is 100 KiB, and the whole English catalogue is about 10 KiB of it).
import { checkDevice, errors, languages, nav, reauth, secondFactor, shell, signIn } from './en.json';

const firstWords = { checkDevice, errors, languages, nav, reauth, secondFactor, shell, signIn };

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

// English's first words are in the first page's JavaScript (English is also the fallback); another
// language's catalogue is a file of its own, fetched whole before the portal first renders in it or
// switches to it (i18next's backend hook: changeLanguage waits for it).
const catalogues: Record<Exclude<Language, 'en'>, () => Promise<{ default: Record<string, unknown> }>> = {
  es: () => import('./es.json'),
};

/** Resolves once the first language's catalogue is in: main.tsx renders after it. */
export const i18nReady = i18next
  .use(initReactI18next)
  .use({
    type: 'backend',
    init() {},
    read(
      language: string,
      _namespace: string,
      callback: (error: unknown, data: Record<string, unknown> | false) => void,
    ) {
      const load = isLanguage(language) && language !== 'en' ? catalogues[language] : undefined;
      if (!load) return callback(null, false);
      load().then(
        (catalogue) => callback(null, catalogue.default),
        (error: unknown) => callback(error, false),
      );
    },
  })
  .init({
    resources: { en: { translation: firstWords } },
    partialBundledLanguages: true,
    lng: initialLanguage(),
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    interpolation: { escapeValue: false },
    returnNull: false,
  });

let allEnglish: Promise<void> | undefined;

/**
 * Every word of the catalogues, for pages beyond the first (the root route waits for it before any page
 * but sign-in): English's whole catalogue is fetched once, as its JSON text (`?raw`, a module apart from
 * the first words, so that the bundler does not fold the two together).
 */
export function allWords(): Promise<void> {
  allEnglish ??= import('./en.json?raw').then(({ default: text }) => {
    i18next.addResourceBundle('en', 'translation', JSON.parse(text) as Record<string, unknown>, true, false);
  });
  return allEnglish;
}

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
  return (error: unknown): string => errorTextOf(error, t, (key) => i18next.exists(key));
}

export { fieldError };

export function useFormat() {
  const { i18n } = useTranslation();
  return formatters(i18n.language);
}

export { i18next };
