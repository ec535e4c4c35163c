import type { QueryClient } from '@tanstack/react-query';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, Link, Outlet, useNavigate } from '@tanstack/react-router';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { allWords, chooseLanguage, hasChosenLanguage, i18next, isLanguage, LANGUAGES } from '@shared/i18n';
import { ReauthHost } from '@shared/reauth/ReauthHost';
// Not @shared/ui: its React Aria components are the pages' to load, not every first page's.
import styles from '@shared/ui/ui.module.css';
import { meQuery, sessionChanged } from './session';

export interface RouterContext {
  queryClient: QueryClient;
}

declare module '@tanstack/react-router' {
  interface StaticDataRouteOption {
    /** The page needs only the catalogue's first words (in the first page's JavaScript): sign-in. */
    firstWordsOnly?: boolean;
  }
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <div className={styles.languages}>
      <label htmlFor="language" className={styles.description}>
        {t('shell.language')}
      </label>
      <select
        id="language"
        className={styles.select}
        value={i18n.language}
        onChange={(event) => {
          if (isLanguage(event.target.value)) void chooseLanguage(event.target.value);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {t(`languages.${language}`)}
          </option>
        ))}
      </select>
    </div>
  );
}

function Shell() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const me = useQuery(meQuery).data;

  // The profile's language applies on a browser where the person has not picked one yet.
  useEffect(() => {
    if (me && !hasChosenLanguage() && isLanguage(me.locale) && me.locale !== i18next.language)
      void i18next.changeLanguage(me.locale);
  }, [me]);

  const signOut = async () => {
    await api.DELETE('/v1/sessions/current').catch(() => undefined);
    await sessionChanged(queryClient);
    await navigate({ to: '/sign-in', search: { signedOut: true } });
  };

  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        {t('shell.skip')}
      </a>
      <header className={styles.header}>
        <Link to="/" className={styles.brand}>
          Lanyard
        </Link>
        {me && (
          <nav className={styles.nav} aria-label={t('shell.navigation')}>
            <Link to="/">{t('nav.home')}</Link>
            <Link to="/devices">{t('nav.devices')}</Link>
            <Link to="/cloud">{t('nav.cloud')}</Link>
            <Link to="/apps">{t('nav.apps')}</Link>
            <Link to="/credits">{t('nav.credits')}</Link>
            <Link to="/sessions">{t('nav.sessions')}</Link>
            <Link to="/security">{t('nav.security')}</Link>
            <Link to="/profile">{t('nav.profile')}</Link>
          </nav>
        )}
        <LanguageSwitch />
        {me && (
          <button type="button" className={styles.button} data-variant="secondary" onClick={() => void signOut()}>
            {t('shell.signOut')}
          </button>
        )}
      </header>
      <main id="main" className={styles.main} tabIndex={-1}>
        <Outlet />
      </main>
      <ReauthHost />
    </div>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('shell.notFound')}</h1>
      <p>
        <Link to="/">{t('shell.backHome')}</Link>
      </p>
    </>
  );
}

export const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Shell,
  notFoundComponent: NotFound,
  // Every page but sign-in waits for the whole catalogue (fetched once).
  beforeLoad: async ({ matches }) => {
    if (!matches.some((match) => match.staticData.firstWordsOnly)) await allWords();
  },
});
