import { useQuery } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Card, Meter, styles, usePageTitle } from '@shared/ui';
import css from './cloud.module.css';
import { Export } from './Export';
import { AppData, Contacts, Messages, Notes } from './Lists';
import { Photos } from './Photos';

const COLLECTIONS = ['photos', 'contacts', 'notes', 'messages', 'app-data'] as const;
const TABS = ['photos', 'contacts', 'notes', 'messages', 'app-data'] as const;

function CloudPage() {
  const { t } = useTranslation();
  usePageTitle(t('cloud.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const summary = useQuery({ queryKey: ['cloud'], queryFn: async () => ok(await api.GET('/v1/cloud')) });

  return (
    <>
      <h1>{t('cloud.title')}</h1>
      <Card title={t('cloud.storage')}>
        {summary.isError && <Alert>{errorText(summary.error)}</Alert>}
        {summary.isPending && (
          <p className={styles.muted} role="status">
            {t('shell.loading')}
          </p>
        )}
        {summary.data && (
          <>
            <ul className={css.summary}>
              {COLLECTIONS.map((name) => (
                <li key={name}>
                  <span className={styles.description}>{t(`collections.${name}`)}</span>
                  <strong>{format.number(summary.data.collections[name]?.count ?? 0)}</strong>
                  <span className={styles.description}>{format.bytes(summary.data.collections[name]?.bytes ?? 0)}</span>
                </li>
              ))}
            </ul>
            <Meter
              label={t('cloud.used')}
              value={summary.data.usedBytes}
              maxValue={Math.max(summary.data.quotaBytes, 1)}
              valueText={t('home.used', {
                used: format.bytes(summary.data.usedBytes),
                quota: format.bytes(summary.data.quotaBytes),
              })}
              level={summary.data.usedBytes > summary.data.quotaBytes * 0.9 ? 1 : 4}
            />
          </>
        )}
      </Card>
      <section className={styles.card}>
        <Tabs>
          <TabList aria-label={t('cloud.collections')} className={css.tabList}>
            {TABS.map((name) => (
              <Tab key={name} id={name} className={css.tab}>
                {t(`collections.${name}`)}
              </Tab>
            ))}
          </TabList>
          <TabPanel id="photos" className={css.panel}>
            <Photos />
          </TabPanel>
          <TabPanel id="contacts" className={css.panel}>
            <Contacts />
          </TabPanel>
          <TabPanel id="notes" className={css.panel}>
            <Notes />
          </TabPanel>
          <TabPanel id="messages" className={css.panel}>
            <Messages />
          </TabPanel>
          <TabPanel id="app-data" className={css.panel}>
            <AppData />
          </TabPanel>
        </Tabs>
      </section>
      <Export />
    </>
  );
}

export const Route = createLazyRoute('/cloud')({ component: CloudPage });
