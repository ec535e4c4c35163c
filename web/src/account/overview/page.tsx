import { useSuspenseQuery } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../shared/i18n';
import { Card, styles, usePageTitle } from '../../shared/ui';
import { meQuery } from '../../shell/session';

function OverviewPage() {
  const { t } = useTranslation();
  usePageTitle(t('home.title'));
  const format = useFormat();
  const me = useSuspenseQuery(meQuery).data;
  if (!me) return null;
  return (
    <>
      <h1>{me.name ? t('home.hello', { name: me.name }) : t('home.title')}</h1>
      <Card title={t('home.whoIAm')}>
        <dl className={styles.dl}>
          <dt>{t('home.email')}</dt><dd>{me.email ?? '—'}</dd>
          <dt>{t('home.phone')}</dt><dd>{me.phone ?? '—'}</dd>
          <dt>{t('home.accountId')}</dt><dd>{me.id}</dd>
          <dt>{t('home.since')}</dt><dd>{format.date(me.createdAt)}</dd>
        </dl>
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/')({ component: OverviewPage });
