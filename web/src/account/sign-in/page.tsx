import { useEffect, useMemo, useState } from 'react';
import { initialLanguage, type Language, rememberLanguage } from '@shared/i18n/language';
import { SignInForm } from '@shared/sign-in/SignInForm';
import { Alert, LanguageSelect, styles } from '@shared/ui/native';
import { wordsIn } from './words';

/** Only same-site paths are followed after sign-in, never another origin. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * The portal's sign-in page, an entry of its own (sign-in.html, served at /sign-in): the portal's shell
 * as a signed-out person sees it (the brand, the language) around the shared form. `?next=` is where the
 * portal sends the person back after signing in, `?signedOut=true` says they just signed out; every link
 * out of the page is a full page load into the portal.
 */
export function SignInPage() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const words = useMemo(() => wordsIn(language), [language]);
  const { t } = words;
  const search = new URLSearchParams(globalThis.location.search);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        {t('shell.skip')}
      </a>
      <header className={styles.header}>
        <a href="/" className={styles.brand}>
          Lanyard
        </a>
        <LanguageSelect
          label={t('shell.language')}
          value={language}
          nameOf={(each) => t(`languages.${each}`)}
          onChange={(chosen) => {
            rememberLanguage(chosen);
            setLanguage(chosen);
          }}
        />
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        <SignInForm
          words={words}
          title={t('signIn.title')}
          passwordless
          onSignedIn={() => {
            globalThis.location.assign(safeNext(search.get('next')));
            // Never settles: the form stays busy while the next page loads.
            return new Promise(() => {});
          }}
          before={search.get('signedOut') === 'true' && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
          actions={<a href="/forgot-password">{t('signIn.forgot')}</a>}
          after={
            <>
              <p>
                {t('signIn.noAccount')} <a href="/create-account">{t('signIn.create')}</a>
              </p>
              <p>
                <a href="/check-device">{t('checkDevice.fromSignIn')}</a>
              </p>
            </>
          }
        />
      </main>
    </div>
  );
}
