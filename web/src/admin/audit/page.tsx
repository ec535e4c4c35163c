import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, TextField, styles, usePageTitle } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import { useAdminNavigate, useAdminSearch } from '../shell/links';

const FILTERS = ['staff', 'account', 'action', 'since'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** The filters as the API takes them: the day typed becomes its first instant, in UTC. */
function queryOf(filters: Filters) {
  return {
    ...(filters.staff ? { staff: filters.staff } : {}),
    ...(filters.account ? { account: filters.account } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.since ? { since: `${filters.since}T00:00:00.000Z` } : {}),
  };
}

/** The audit log: who did what to whom, when and why; filtered, paged, and downloadable as CSV. */
export default function AuditPage() {
  const { t } = useTranslation();
  usePageTitle(t('admin.audit.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const navigate = useAdminNavigate();
  const search = useAdminSearch<Filters>();
  const [draft, setDraft] = useState<Filters>(search);
  const query = queryOf(search);
  const records = useInfiniteQuery({
    queryKey: ['admin', 'audit', query],
    queryFn: async ({ pageParam }) =>
      ok(
        await api.GET('/v1/admin/audit', {
          params: { query: { ...query, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (page) => page.cursor ?? undefined,
  });
  const csv = `/v1/admin/audit?${new URLSearchParams({ ...query, format: 'csv' }).toString()}`;
  const rows = records.data?.pages.flatMap((page) => page.records) ?? [];

  return (
    <>
      <h1>{t('admin.audit.title')}</h1>
      <Card title={t('admin.audit.filters')}>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            void navigate({
              to: '/audit',
              search: Object.fromEntries(FILTERS.map((key) => [key, draft[key]?.trim() || undefined])),
            });
          }}
        >
          <div className={css.filters}>
            <TextField
              label={t('admin.audit.staff')}
              name="staff"
              value={draft.staff ?? ''}
              onChange={(staff) => setDraft({ ...draft, staff })}
            />
            <TextField
              label={t('admin.audit.account')}
              name="account"
              value={draft.account ?? ''}
              onChange={(account) => setDraft({ ...draft, account })}
            />
            <TextField
              label={t('admin.audit.action')}
              description={t('admin.audit.actionHint')}
              name="action"
              value={draft.action ?? ''}
              onChange={(action) => setDraft({ ...draft, action })}
            />
            <TextField
              label={t('admin.audit.since')}
              name="since"
              type="date"
              value={draft.since ?? ''}
              onChange={(since) => setDraft({ ...draft, since })}
            />
          </div>
          <div className={styles.actions}>
            <Button type="submit">{t('admin.audit.apply')}</Button>
            <a href={csv} download="lanyard-audit.csv">
              {t('admin.audit.csv')}
            </a>
          </div>
        </Form>
      </Card>
      {records.isError && <Alert>{errorText(records.error)}</Alert>}
      {records.isPending && <p role="status">{t('shell.loading')}</p>}
      {records.data && rows.length === 0 && <p>{t('admin.audit.none')}</p>}
      {rows.length > 0 && (
        <TableWrap label={t('admin.audit.title')}>
          <table className={css.table}>
            <thead>
              <tr>
                <th scope="col">{t('admin.audit.when')}</th>
                <th scope="col">{t('admin.audit.action')}</th>
                <th scope="col">{t('admin.audit.who')}</th>
                <th scope="col">{t('admin.audit.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((record) => (
                <tr key={record.id}>
                  <td>{format.date(record.at)}</td>
                  <td>
                    <code>{record.action}</code>
                  </td>
                  <td>
                    {record.staffId && (
                      <>
                        {t('admin.audit.byStaff', { id: record.staffEmail ?? record.staffId })}
                        <br />
                      </>
                    )}
                    {record.accountId && (
                      <span className={styles.description}>{t('admin.audit.onAccount', { id: record.accountId })}</span>
                    )}
                  </td>
                  <td>{record.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {records.hasNextPage && (
        <p className={styles.actions}>
          <Button
            variant="secondary"
            onPress={() => void records.fetchNextPage()}
            isDisabled={records.isFetchingNextPage}
          >
            {t('admin.audit.more')}
          </Button>
        </p>
      )}
    </>
  );
}
