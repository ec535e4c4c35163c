// The sign-in page's words: the portal's own catalogues, only the parts the page shows (Vite's JSON named
// exports, tree-shaken), both languages in its JavaScript (about 4 KiB gzip), looked up without i18next.
import {
  checkDevice as enCheckDevice,
  errors as enErrors,
  languages as enLanguages,
  secondFactor as enSecondFactor,
  shell as enShell,
  signIn as enSignIn,
} from '@shared/i18n/en.json';
import {
  checkDevice as esCheckDevice,
  errors as esErrors,
  languages as esLanguages,
  secondFactor as esSecondFactor,
  shell as esShell,
  signIn as esSignIn,
} from '@shared/i18n/es.json';
import type { Language } from '@shared/i18n/language';
import type { SignInWords } from '@shared/sign-in/SignInForm';

const catalogues: Record<Language, Record<string, unknown>> = {
  en: {
    checkDevice: enCheckDevice,
    errors: enErrors,
    languages: enLanguages,
    secondFactor: enSecondFactor,
    shell: enShell,
    signIn: enSignIn,
  },
  es: {
    checkDevice: esCheckDevice,
    errors: esErrors,
    languages: esLanguages,
    secondFactor: esSecondFactor,
    shell: esShell,
    signIn: esSignIn,
  },
};

/** The text at a dotted key (errors.two_step.code_invalid), if the catalogue has one. */
function textAt(catalogue: Record<string, unknown>, key: string): string | undefined {
  let node: unknown = catalogue;
  for (const part of key.split('.'))
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** The words in a language, English where it lacks one (as i18next's fallback does in the portal). */
export function wordsIn(language: Language): SignInWords {
  return {
    t: (key) => textAt(catalogues[language], key) ?? textAt(catalogues.en, key) ?? key,
    exists: (key) => textAt(catalogues[language], key) !== undefined || textAt(catalogues.en, key) !== undefined,
  };
}
