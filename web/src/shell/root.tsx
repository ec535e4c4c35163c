import type { QueryClient } from '@tanstack/react-query';
import { useQuery } from '@tanstack/react-query';
import { createRootRouteWithContext, Link, Outlet } from '@tanstack/react-router';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { chooseLanguage, hasChosenLanguage, i18next, isLanguage } from '@shared/i18n';
import { ReauthHost } from '@shared/reauth/ReauthHost';
// Not @shared/ui: its React Aria components are the pages' to load, not every first page's.
import { LanguageSelect, styles } from '@shared/ui/native';
import { meQuery, signInHref } from './session';

export interface RouterContext {
  queryClient: QueryClient;
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <LanguageSelect
      label={t('shell.language')}
      value={i18n.language}
      nameOf={(language) => t(`languages.${language}`)}
      onChange={(language) => void chooseLanguage(language)}
    />
  );
}

function Shell() {
  const { t } = useTranslation();
  const me = useQuery(meQuery).data;

  // The profile's language applies on a browser where the person has not picked one yet.
  useEffect(() => {
    if (me && !hasChosenLanguage() && isLanguage(me.locale) && me.locale !== i18next.language)
      void i18next.changeLanguage(me.locale);
  }, [me]);

  // The sign-in page is a page of its own: a full page load, which also drops everything cached.
  const signOut = async () => {
    await api.DELETE('/v1/sessions/current').catch(() => undefined);
    globalThis.location.assign(signInHref({ signedOut: true }));
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
});
