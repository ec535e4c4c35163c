import i18next from 'i18next';
import { describe, expect, test } from 'vitest';
import en from '@shared/i18n/en.json';
import es from '@shared/i18n/es.json';
import { wordsIn } from './words';

/** Every key path under the given namespaces, e.g. errors.two_step.code_invalid. */
function keys(catalogue: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(catalogue).flatMap(([key, value]) =>
    value !== null && typeof value === 'object'
      ? keys(value as Record<string, unknown>, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  );
}

// The sign-in page looks its words up without i18next: it must say what the portal (i18next, the whole
// catalogues) says for the same key, in both languages.
describe('the sign-in page words', () => {
  const namespaces = ['signIn', 'secondFactor', 'errors', 'shell', 'languages', 'checkDevice'] as const;
  for (const language of ['en', 'es'] as const) {
    test(`${language}: every key of its namespaces reads as the portal reads it`, async () => {
      const portal = i18next.createInstance();
      await portal.init({
        resources: { en: { translation: en }, es: { translation: es } },
        lng: language,
        fallbackLng: 'en',
        interpolation: { escapeValue: false },
      });
      const words = wordsIn(language);
      const all = namespaces.flatMap((namespace) => keys((language === 'en' ? en : es)[namespace], `${namespace}.`));
      expect(all.length).toBeGreaterThan(50);
      for (const key of all) {
        expect(words.exists(key), key).toBe(true);
        expect(words.t(key), key).toBe(portal.t(key));
      }
      // Nested error codes (domain.reason) as the API sends them.
      expect(words.t('errors.two_step.code_invalid')).toBe((language === 'en' ? en : es).errors.two_step.code_invalid);
    });
  }

  test('a key outside the page’s words is not there (the form then says errors.unknown)', () => {
    const words = wordsIn('es');
    expect(words.exists('errors.no_such_code')).toBe(false);
    expect(words.exists('nav.devices')).toBe(false);
    expect(words.exists('errors')).toBe(false);
  });
});
