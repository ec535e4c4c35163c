import { useTranslation } from 'react-i18next';
import { Card, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { AdminLink } from '../shell/links';
import { useStaffRole } from '../shell/root';

/** Where the console opens: what each part is for, and what this role may do. */
export default function HomePage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.home.title'));
  const role = useStaffRole();
  return (
    <>
      <h1>{t('admin.home.title')}</h1>
      <p>{t(`admin.home.role.${role ?? 'support'}`)}</p>
      <div className={css.cards}>
        <Card title={t('admin.nav.unlockRequests')}>
          <p>{t('admin.home.unlockRequests')}</p>
          <AdminLink to="/unlock-requests">{t('admin.home.open', { what: t('admin.nav.unlockRequests') })}</AdminLink>
        </Card>
        <Card title={t('admin.nav.accounts')}>
          <p>{t('admin.home.accounts')}</p>
          <AdminLink to="/accounts">{t('admin.home.open', { what: t('admin.nav.accounts') })}</AdminLink>
        </Card>
        {role === 'admin' && (
          <Card title={t('admin.nav.apps')}>
            <p>{t('admin.home.apps')}</p>
            <AdminLink to="/apps">{t('admin.home.open', { what: t('admin.nav.apps') })}</AdminLink>
          </Card>
        )}
        {role === 'admin' && (
          <Card title={t('admin.nav.webhooks')}>
            <p>{t('admin.home.webhooks')}</p>
            <AdminLink to="/webhooks">{t('admin.home.open', { what: t('admin.nav.webhooks') })}</AdminLink>
          </Card>
        )}
        <Card title={t('admin.nav.audit')}>
          <p>{t('admin.home.audit')}</p>
          <AdminLink to="/audit">{t('admin.home.open', { what: t('admin.nav.audit') })}</AdminLink>
        </Card>
      </div>
    </>
  );
}
