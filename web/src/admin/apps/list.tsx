import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { AppLogo } from './form';
import { AdminLink, useAdminSearch } from '../shell/links';

/** Every app that signs people in with Lanyard: how many let it in, when it last got tokens. */
export default function AppsPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.apps.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const search = useAdminSearch<{ deleted?: string }>();
  const apps = useQuery({ queryKey: ['admin', 'apps'], queryFn: async () => ok(await api.GET('/v1/admin/apps')).apps });

  return (
    <>
      <h1>{t('admin.apps.title')}</h1>
      {search.deleted && <Alert tone="ok">{t('admin.apps.deleted', { name: search.deleted })}</Alert>}
      <p className={styles.actions}>
        <AdminLink to="/apps/new">{t('admin.apps.new')}</AdminLink>
      </p>
      {apps.isError && <Alert>{errorText(apps.error)}</Alert>}
      {apps.isPending && <p role="status">{t('shell.loading')}</p>}
      {apps.data && apps.data.length === 0 && <p>{t('admin.apps.none')}</p>}
      {apps.data && apps.data.length > 0 && (
        <TableWrap label={t('admin.apps.title')}>
          <table className={css.table}>
            <thead>
              <tr>
                <th scope="col">{t('admin.apps.name')}</th>
                <th scope="col">{t('admin.apps.type')}</th>
                <th scope="col">{t('admin.apps.accounts')}</th>
                <th scope="col">{t('admin.apps.lastUsed')}</th>
              </tr>
            </thead>
            <tbody>
              {apps.data.map((app) => (
                <tr key={app.clientId}>
                  <td>
                    {app.logoUri && (
                      <>
                        <AppLogo src={app.logoUri} />{' '}
                      </>
                    )}
                    <AdminLink to="/apps/$clientId" params={{ clientId: app.clientId }}>
                      {app.name}
                    </AdminLink>
                    {app.firstParty && (
                      <>
                        {' '}
                        <span className={styles.badge}>{t('admin.apps.ours')}</span>
                      </>
                    )}
                    {app.disabled && (
                      <>
                        {' '}
                        <span className={styles.badge}>{t('admin.apps.off')}</span>
                      </>
                    )}
                  </td>
                  <td>{t(`admin.apps.types.${app.type}`)}</td>
                  <td>{format.number(app.accounts ?? 0)}</td>
                  <td>{app.lastUsedAt ? format.date(app.lastUsedAt) : t('admin.apps.never')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
