import i18next from 'i18next';
import { initReactI18next, useTranslation } from 'react-i18next';
import { initialLanguage, isLanguage, LANGUAGES, type Language, rememberLanguage } from './language';
import { errorTextOf, fieldError, formatters } from './text';
// The whole English catalogue is in the first page's JavaScript (about 10 KiB gzip), as JSON text parsed
// here: every page needs it before its first render (English is also the fallback), and fetched on its own
// it would only be asked for once this script runs, one more round trip before anything shows. (The
// sign-in page, an entry of its own, imports only its parts of en.json, tree-shaken.)
import english from './en.json?raw';

export { hasChosenLanguage, isLanguage, type Language } from './language';

// Another language's catalogue is a file of its own, fetched whole before the portal first renders in it
// or switches to it (i18next's backend hook: changeLanguage waits for it). As JSON text too (`?raw`): the
// sign-in page imports parts of the same file, and a module also imported whole on demand would be put in
// the sign-in page's JavaScript whole.
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
    resources: { en: { translation: JSON.parse(english) as Record<string, unknown> } },
    partialBundledLanguages: true,
    lng: initialLanguage(),
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    interpolation: { escapeValue: false },
    returnNull: false,
  });

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
