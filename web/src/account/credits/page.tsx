import { useInfiniteQuery } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';
import css from './credits.module.css';

function CreditsPage() {
  const { t, i18n } = useTranslation();
  usePageTitle(t('credits.title'));
  const errorText = useErrorText();
  const format = useFormat();
  // Newest first, a page at a time: the first page carries the balance, older pages only entries.
  const credits = useInfiniteQuery({
    queryKey: ['credits'],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      ok(await api.GET('/v1/me/credits', { params: { query: pageParam ? { cursor: pageParam } : {} } })),
    getNextPageParam: (last) => last.cursor ?? undefined,
  });
  const first = credits.data?.pages[0];
  const entries = credits.data?.pages.flatMap((page) => page.entries) ?? [];
  const signed = (amount: number) => new Intl.NumberFormat(i18n.language, { signDisplay: 'exceptZero' }).format(amount);

  return (
    <>
      <h1>{t('credits.title')}</h1>
      {credits.isError && <Alert>{errorText(credits.error)}</Alert>}
      {credits.isPending && (
        <p className={styles.muted} role="status">
          {t('shell.loading')}
        </p>
      )}
      {first && (
        <Card title={t('credits.balanceTitle')}>
          <p className={css.balance}>
            {t('credits.balance', { count: first.balance, n: format.number(first.balance) })}
          </p>
          <p className={styles.description}>{t('credits.what')}</p>
        </Card>
      )}
      {first && (
        <Card title={t('credits.history')}>
          {entries.length === 0 && <p className={styles.muted}>{t('credits.none')}</p>}
          {entries.length > 0 && (
            <ul className={styles.list}>
              {entries.map((entry) => (
                <li key={entry.id} className={css.entry}>
                  <span>
                    <strong>{t(`credits.kinds.${entry.kind}`)}</strong> · {entry.reason}
                    <br />
                    <span className={styles.description}>
                      {format.date(entry.at)}
                      {entry.expiresAt &&
                        ` · ${t(Date.parse(entry.expiresAt) <= Date.now() ? 'credits.expired' : 'credits.expires', {
                          when: format.date(entry.expiresAt),
                        })}`}
                    </span>
                  </span>
                  <span className={css.amount} data-sign={entry.amount > 0 ? 'plus' : 'minus'}>
                    {signed(entry.amount)}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {credits.hasNextPage && (
            <div className={css.more}>
              <Button
                variant="secondary"
                isDisabled={credits.isFetchingNextPage}
                onPress={() => void credits.fetchNextPage()}
              >
                {credits.isFetchingNextPage ? t('shell.loading') : t('credits.older')}
              </Button>
            </div>
          )}
        </Card>
      )}
    </>
  );
}

export const Route = createLazyRoute('/credits')({ component: CreditsPage });
