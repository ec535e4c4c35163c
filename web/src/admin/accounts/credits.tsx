import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, RadioGroup, TextField, styles } from '@shared/ui';
import css from '../admin.module.css';
import { TableWrap } from '../shell/fields';
import type { StaffAccountView } from './queries';

type Kind = 'grant' | 'refund';

/**
 * The balance and the ledger (a page at a time, with the reason the account was opened for; each page
 * read is audited), and for admins a grant or a refund with a reason the person sees. A grant may
 * expire at the end of a day (UTC). One idempotency key per change, so that a retry changes once.
 */
export function Credits({
  account,
  reason,
  canGrant,
}: {
  account: StaffAccountView;
  reason: string;
  canGrant: boolean;
}) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const id = account.profile.id;
  const ledger = useInfiniteQuery({
    queryKey: ['admin', 'credits', id, reason],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      ok(
        await api.GET('/v1/admin/accounts/{id}/credits', {
          params: { path: { id }, query: { reason, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.cursor ?? undefined,
    // Each page read is audited: not read again behind the staff member's back.
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [kind, setKind] = useState<Kind>('grant');
  const [amount, setAmount] = useState('');
  const [why, setWhy] = useState('');
  const [expires, setExpires] = useState('');
  const [key, setKey] = useState(() => crypto.randomUUID());
  const changed =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setKey(crypto.randomUUID());
    };
  const post = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/v1/admin/accounts/{id}/credits', {
          params: { path: { id } },
          body: {
            amount: Number(amount),
            reason: why.trim(),
            idempotencyKey: key,
            kind,
            ...(kind === 'grant' && expires ? { expiresAt: `${expires}T23:59:59.999Z` } : {}),
          },
        }),
      ),
    onSuccess: async () => {
      setAmount('');
      setWhy('');
      setExpires('');
      setKey(crypto.randomUUID());
      await queryClient.resetQueries({ queryKey: ['admin', 'credits', id] });
    },
  });
  const valid = /^[1-9]\d{0,8}$/.test(amount.trim());
  const badExpiry =
    post.error instanceof ApiError && post.error.problem.errors?.some((e) => e.path.includes('expiresAt'))
      ? t('admin.credits.expiryInvalid')
      : undefined;
  const entries = ledger.data?.pages.flatMap((page) => page.entries) ?? [];
  const balance = ledger.data?.pages[0]?.balance ?? account.credits.balance;
  const signed = (value: number) => new Intl.NumberFormat(i18n.language, { signDisplay: 'exceptZero' }).format(value);

  return (
    <Card title={t('admin.account.credits')}>
      <p>{t('admin.account.balance', { balance: format.number(balance) })}</p>
      {ledger.isError && <Alert>{errorText(ledger.error)}</Alert>}
      {ledger.isPending && <p role="status">{t('shell.loading')}</p>}
      {ledger.data && entries.length === 0 && <p>{t('credits.none')}</p>}
      {entries.length > 0 && (
        <TableWrap label={t('admin.credits.history')}>
          <table className={css.table}>
            <thead>
              <tr>
                <th scope="col">{t('admin.credits.when')}</th>
                <th scope="col">{t('admin.credits.kind')}</th>
                <th scope="col">{t('admin.credits.amount')}</th>
                <th scope="col">{t('admin.credits.reason')}</th>
                <th scope="col">{t('admin.credits.expires')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td>{format.date(entry.at)}</td>
                  <td>{t(`credits.kinds.${entry.kind}`)}</td>
                  <td>{signed(entry.amount)}</td>
                  <td>{entry.reason}</td>
                  <td>{entry.expiresAt ? format.date(entry.expiresAt) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {ledger.hasNextPage && (
        <div className={styles.actions}>
          <Button
            variant="secondary"
            isDisabled={ledger.isFetchingNextPage}
            onPress={() => void ledger.fetchNextPage()}
          >
            {t('credits.older')}
          </Button>
        </div>
      )}
      {canGrant && (
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            if (valid) post.mutate();
          }}
        >
          {post.isError && <Alert>{errorText(post.error)}</Alert>}
          {post.isSuccess && (
            <Alert tone="ok">
              {post.data.entry.kind === 'refund'
                ? t('admin.credits.refunded', { balance: format.number(post.data.balance) })
                : t('admin.account.granted', { balance: format.number(post.data.balance) })}
            </Alert>
          )}
          <RadioGroup
            label={t('admin.credits.change')}
            value={kind}
            onChange={changed((value: string) => setKind(value as Kind))}
            options={[
              { value: 'grant', label: t('admin.credits.kinds.grant') },
              { value: 'refund', label: t('admin.credits.kinds.refund') },
            ]}
          />
          <TextField
            label={kind === 'refund' ? t('admin.credits.refundAmount') : t('admin.account.amount')}
            name="amount"
            inputMode="numeric"
            isRequired
            value={amount}
            onChange={changed(setAmount)}
            error={amount !== '' && !valid ? t('admin.account.amountInvalid') : undefined}
          />
          <TextField
            label={kind === 'refund' ? t('admin.credits.refundReason') : t('admin.account.grantReason')}
            description={t('admin.account.grantReasonHint')}
            name="creditReason"
            isRequired
            value={why}
            onChange={changed(setWhy)}
          />
          {kind === 'grant' && (
            <TextField
              label={t('admin.credits.expiresLabel')}
              description={t('admin.credits.expiresHint')}
              name="expires"
              type="date"
              value={expires}
              onChange={changed(setExpires)}
              error={badExpiry}
            />
          )}
          <div className={styles.actions}>
            <Button type="submit" isDisabled={post.isPending}>
              {kind === 'refund' ? t('admin.credits.refund') : t('admin.account.grant')}
            </Button>
          </div>
        </Form>
      )}
    </Card>
  );
}
