import { createLazyRoute } from '@tanstack/react-router';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Card, Meter, styles, usePageTitle } from '@shared/ui';
import css from './cloud.module.css';
import { Export } from './Export';
import { useCloudSummary } from './items';
import { AppData, Contacts, Messages, Notes } from './Lists';
import { Photos } from './Photos';

const COLLECTIONS = ['photos', 'contacts', 'notes', 'messages', 'app-data'] as const;
const TABS = ['photos', 'contacts', 'notes', 'messages', 'app-data'] as const;

/** What the cloud holds per collection, and of the quota. Its own component: the summary's arrival redraws only it. */
function Storage() {
  const { t } = useTranslation();
  const format = useFormat();
  const errorText = useErrorText();
  const summary = useCloudSummary();
  return (
    <Card title={t('cloud.storage')}>
      {summary.isError && <Alert>{errorText(summary.error)}</Alert>}
      {/* Drawn in full while the summary loads (dashes, an empty meter), so that nothing below it moves
          when the figures arrive. */}
      <ul className={css.summary} aria-busy={summary.isPending}>
        {COLLECTIONS.map((name) => (
          <li key={name}>
            <span className={styles.description}>{t(`collections.${name}`)}</span>
            <strong>{summary.data ? format.number(summary.data.collections[name]?.count ?? 0) : '–'}</strong>
            <span className={styles.description}>
              {summary.data ? format.bytes(summary.data.collections[name]?.bytes ?? 0) : '\u00a0'}
            </span>
          </li>
        ))}
      </ul>
      <Meter
        label={t('cloud.used')}
        value={summary.data?.usedBytes ?? 0}
        maxValue={Math.max(summary.data?.quotaBytes ?? 1, 1)}
        valueText={
          summary.data
            ? t('home.used', {
                used: format.bytes(summary.data.usedBytes),
                quota: format.bytes(summary.data.quotaBytes),
              })
            : t('shell.loading')
        }
        level={summary.data && summary.data.usedBytes > summary.data.quotaBytes * 0.9 ? 1 : 4}
      />
    </Card>
  );
}

function CloudPage() {
  const { t } = useTranslation();
  usePageTitle(t('cloud.title'));

  return (
    <>
      <h1>{t('cloud.title')}</h1>
      <Storage />
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
