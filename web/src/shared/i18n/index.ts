import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { initialLanguage, isLanguage, LANGUAGES, type Language, rememberLanguage } from './language';
import { errorTextOf, fieldError, formatters } from './text';
// Only the words of the shell, the sign-in page (and its second step) and the API's errors are in the first
// page's JavaScript (Vite's JSON named exports, tree-shaken); `allWords()` fetches the rest (the sign-in
// page's JavaScript budget is 100 KiB, and the whole English catalogue is about 10 KiB of it).
import { checkDevice, errors, languages, nav, reauth, secondFactor, shell, signIn } from './en.json';

const firstWords = { checkDevice, errors, languages, nav, reauth, secondFactor, shell, signIn };

export { hasChosenLanguage, isLanguage, type Language } from './language';

// English's first words are in the first page's JavaScript (English is also the fallback); another
// language's catalogue is a file of its own, fetched whole before the portal first renders in it or
// switches to it (i18next's backend hook: changeLanguage waits for it).
// As JSON text (`?raw`, parsed here): the sign-in page imports parts of the same file, and a module that is
// also imported whole on demand would be put in the sign-in page's JavaScript whole.
const catalogues: Record<Exclude<Language, 'en'>, () => Promise<{ default: string }>> = {
  es: () => import('./es.json?raw'),
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
        (catalogue) => callback(null, JSON.parse(catalogue.default) as Record<string, unknown>),
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

/** Switches the language and remembers the choice on this browser. */
export async function chooseLanguage(language: Language): Promise<void> {
  rememberLanguage(language);
  await i18next.changeLanguage(language);
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
