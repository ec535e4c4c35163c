import type { QueryClient } from '@tanstack/react-query';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, Outlet } from '@tanstack/react-router';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { chooseLanguage } from '@shared/i18n';
import { ReauthDialog } from '@shared/reauth/ReauthDialog';
import { Alert, Button, styles, usePageTitle } from '@shared/ui';
import { LanguageSelect } from '@shared/ui/native';
import { meQuery, sessionChanged } from '../../shell/session';
import css from '../admin.module.css';
import { forgetSessionEnded } from './ended';
import { AdminLink } from './links';
import { SignIn } from './SignIn';

export interface AdminRouterContext {
  queryClient: QueryClient;
}

/** What the signed-in staff member may do: support reviews and looks up; admin also manages. */
export type StaffRole = 'support' | 'admin';

export function useStaffRole(): StaffRole | undefined {
  const me = useQuery(meQuery).data;
  return me?.role === 'admin' || me?.role === 'support' ? me.role : undefined;
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

function NotStaff({ onSignOut }: { onSignOut: () => void }) {
  const { t } = useTranslation();
  usePageTitle(t('admin.notStaff.title'));
  return (
    <div className={styles.narrow}>
      <h1>{t('admin.notStaff.title')}</h1>
      <Alert tone="warning">{t('admin.notStaff.text')}</Alert>
      <p className={styles.actions}>
        <a href="/">{t('admin.notStaff.portal')}</a>
        <Button variant="secondary" onPress={onSignOut}>
          {t('shell.signOut')}
        </Button>
      </p>
    </div>
  );
}

/**
 * The console's frame and its gate: nobody signed in gets the sign-in form in place of the page they
 * asked for; an account that is not staff is told so, rather than shown pages that would all answer 403.
 */
function Shell() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const me = useQuery(meQuery);
  const role = useStaffRole();
  const [signedOut, setSignedOut] = useState(false);

  const signOut = async () => {
    await api.DELETE('/v1/sessions/current').catch(() => undefined);
    forgetSessionEnded();
    await sessionChanged(queryClient);
    setSignedOut(true);
  };

  let content: ReactNode;
  if (me.isPending) content = <p role="status">{t('shell.loading')}</p>;
  else if (me.isError) content = <Alert>{t('errors.network')}</Alert>;
  else if (!me.data) content = <SignIn signedOut={signedOut} />;
  else if (!role) content = <NotStaff onSignOut={() => void signOut()} />;
  else content = <Outlet />;

  return (
    <div className={styles.shell}>
      <a className={styles.skip} href="#main">
        {t('shell.skip')}
      </a>
      <header className={styles.header}>
        <span className={styles.brand}>{t('admin.brand')}</span>
        {role && (
          <nav className={`${styles.nav} ${css.nav}`} aria-label={t('admin.nav.label')}>
            <AdminLink to="/" exact>
              {t('admin.nav.home')}
            </AdminLink>
            <AdminLink to="/unlock-requests">{t('admin.nav.unlockRequests')}</AdminLink>
            <AdminLink to="/accounts">{t('admin.nav.accounts')}</AdminLink>
            {role === 'admin' && <AdminLink to="/apps">{t('admin.nav.apps')}</AdminLink>}
            {role === 'admin' && <AdminLink to="/webhooks">{t('admin.nav.webhooks')}</AdminLink>}
            <AdminLink to="/audit">{t('admin.nav.audit')}</AdminLink>
            {role === 'admin' && <AdminLink to="/staff">{t('admin.nav.staff')}</AdminLink>}
          </nav>
        )}
        <LanguageSwitch />
        {me.data && (
          <span className={css.who}>
            <span className={styles.description}>
              {me.data.email ?? me.data.phone ?? me.data.id}
              {role ? ` · ${t(`admin.roles.${role}`)}` : ''}
            </span>
            <Button variant="secondary" onPress={() => void signOut()}>
              {t('shell.signOut')}
            </Button>
          </span>
        )}
      </header>
      <main id="main" className={`${styles.main} ${css.main}`} tabIndex={-1}>
        {content}
      </main>
      <ReauthDialog />
    </div>
  );
}

function NotFound() {
  const { t } = useTranslation();
  usePageTitle(t('shell.notFound'));
  return (
    <>
      <h1>{t('shell.notFound')}</h1>
      <p>
        <AdminLink to="/">{t('admin.backHome')}</AdminLink>
      </p>
    </>
  );
}

export const adminRootRoute = createRootRouteWithContext<AdminRouterContext>()({
  component: Shell,
  notFoundComponent: NotFound,
});
