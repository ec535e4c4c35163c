import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, TextField, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { AdminLink, useAdminNavigate, useAdminSearch } from '../shell/links';

/**
 * Finding an account: by email, phone, id, or a device's serial or IMEI, always with a reason, which the
 * audit log keeps and the person sees. The search lives in the address, so that the way back returns here.
 */
export default function AccountSearchPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.accounts.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const navigate = useAdminNavigate();
  const search = useAdminSearch<{ q?: string; reason?: string }>();
  const [q, setQ] = useState(search.q ?? '');
  const [reason, setReason] = useState(search.reason ?? '');
  const asked = search.q && search.reason ? { q: search.q, reason: search.reason } : undefined;
  const matches = useQuery({
    queryKey: ['admin', 'account-search', asked],
    queryFn: async () => ok(await api.GET('/v1/admin/accounts', { params: { query: asked! } })).accounts,
    enabled: Boolean(asked),
    staleTime: Number.POSITIVE_INFINITY,
  });

  return (
    <>
      <h1>{t('admin.accounts.title')}</h1>
      <Card>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            void navigate({ to: '/accounts', search: { q: q.trim(), reason: reason.trim() } });
          }}
        >
          <TextField
            label={t('admin.accounts.q')}
            description={t('admin.accounts.qHint')}
            name="q"
            isRequired
            value={q}
            onChange={setQ}
          />
          <TextField
            label={t('admin.accounts.reason')}
            description={t('admin.accounts.reasonHint')}
            name="reason"
            isRequired
            value={reason}
            onChange={setReason}
          />
          <div className={styles.actions}>
            <Button type="submit">{t('admin.accounts.find')}</Button>
          </div>
        </Form>
      </Card>
      {matches.isError && <Alert>{errorText(matches.error)}</Alert>}
      {matches.isFetching && <p role="status">{t('shell.loading')}</p>}
      {matches.data && matches.data.length === 0 && <p role="status">{t('admin.accounts.noMatch')}</p>}
      {matches.data && matches.data.length > 0 && asked && (
        <TableWrap label={t('admin.accounts.title')}>
          <table className={css.table}>
            <caption className={styles.description}>
              {t('admin.accounts.matches', { count: matches.data.length })}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('admin.accounts.account')}</th>
                <th scope="col">{t('admin.accounts.state')}</th>
                <th scope="col">{t('admin.accounts.matchedBy')}</th>
                <th scope="col">{t('admin.accounts.since')}</th>
              </tr>
            </thead>
            <tbody>
              {matches.data.map((match) => (
                <tr key={match.id}>
                  <td>
                    <AdminLink to="/accounts/$id" params={{ id: match.id }} search={{ reason: asked.reason }}>
                      {match.email ?? match.phone ?? match.id}
                    </AdminLink>
                    <br />
                    <span className={styles.description}>{match.id}</span>
                  </td>
                  <td>{t(`admin.accounts.states.${match.status}`)}</td>
                  <td>{t(`admin.accounts.by.${match.matchedBy}`)}</td>
                  <td>{format.date(match.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
