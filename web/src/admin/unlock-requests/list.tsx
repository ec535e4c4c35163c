import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { AdminLink, useAdminNavigate, useAdminSearch } from '../shell/links';
import { isUnlockStatus, UNLOCK_STATUSES, unlockRequestsQuery } from './queries';

/** The queue of unlock requests, filterable by state (submitted first, as that is what waits for staff). */
export default function UnlockRequestsPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.unlock.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const navigate = useAdminNavigate();
  const search = useAdminSearch<{ status?: string }>();
  const status = isUnlockStatus(search.status) ? search.status : undefined;
  const requests = useQuery(unlockRequestsQuery(status));

  return (
    <>
      <h1>{t('admin.unlock.title')}</h1>
      <div className={css.filters}>
        <div className={styles.field}>
          <label htmlFor="status-filter" className={styles.label}>
            {t('admin.unlock.filter')}
          </label>
          <select
            id="status-filter"
            className={styles.select}
            value={status ?? ''}
            onChange={(event) =>
              void navigate({
                to: '/unlock-requests',
                search: { status: event.target.value || undefined },
                replace: true,
              })
            }
          >
            <option value="">{t('admin.unlock.all')}</option>
            {UNLOCK_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`admin.unlock.status.${value}`)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {requests.isError && <Alert>{errorText(requests.error)}</Alert>}
      {requests.isPending && <p role="status">{t('shell.loading')}</p>}
      {requests.data && requests.data.length === 0 && <p>{t('admin.unlock.none')}</p>}
      {requests.data && requests.data.length > 0 && (
        <TableWrap label={t('admin.unlock.title')}>
          <table className={css.table}>
            <caption className={styles.description}>{t('admin.unlock.count', { count: requests.data.length })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.unlock.request')}</th>
                <th scope="col">{t('admin.unlock.state')}</th>
                <th scope="col">{t('admin.unlock.device')}</th>
                <th scope="col">{t('admin.unlock.contact')}</th>
                <th scope="col">{t('admin.unlock.proof')}</th>
              </tr>
            </thead>
            <tbody>
              {requests.data.map((request) => (
                <tr key={request.id}>
                  <td>
                    <AdminLink to="/unlock-requests/$id" params={{ id: request.id }}>
                      {t('admin.unlock.openRequest', { when: format.date(request.createdAt) })}
                    </AdminLink>
                  </td>
                  <td>
                    {t(`admin.unlock.status.${request.status}`)}
                    {request.firstApproval ? ` · ${t('admin.unlock.fourEyes.short')}` : ''}
                  </td>
                  <td>
                    …{request.serialHint}
                    {request.lock.locked ? ` · ${t('admin.unlock.locked')}` : ''}
                  </td>
                  <td>{request.contact.email}</td>
                  <td>{t(`admin.unlock.proofKind.${request.proof.kind}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
