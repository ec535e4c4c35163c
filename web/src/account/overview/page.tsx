import { useQuery, useSuspenseQuery } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Card, styles, usePageTitle } from '@shared/ui';
import { meQuery } from '../../shell/session';
import { CheckupSummary } from '../security/CheckupSummary';

const COLLECTIONS = ['photos', 'contacts', 'notes', 'messages', 'app-data'] as const;

function OverviewPage() {
  const { t } = useTranslation();
  usePageTitle(t('home.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const me = useSuspenseQuery(meQuery).data;
  const devices = useQuery({ queryKey: ['devices'], queryFn: async () => ok(await api.GET('/v1/devices')) });
  const storage = useQuery({ queryKey: ['cloud'], queryFn: async () => ok(await api.GET('/v1/cloud')) });
  const apps = useQuery({ queryKey: ['apps'], queryFn: async () => ok(await api.GET('/v1/apps')) });
  if (!me) return null;
  return (
    <>
      <h1>{me.name ? t('home.hello', { name: me.name }) : t('home.title')}</h1>
      <Card title={t('home.whoIAm')}>
        <dl className={styles.dl}>
          <dt>{t('home.email')}</dt>
          <dd>{me.email ?? '—'}</dd>
          <dt>{t('home.phone')}</dt>
          <dd>{me.phone ?? '—'}</dd>
          <dt>{t('home.accountId')}</dt>
          <dd>{me.id}</dd>
          <dt>{t('home.since')}</dt>
          <dd>{format.date(me.createdAt)}</dd>
        </dl>
      </Card>

      <CheckupSummary />

      <Card title={t('home.devices')}>
        {devices.isError && <Alert>{errorText(devices.error)}</Alert>}
        {devices.isPending && <p className={styles.muted}>{t('shell.loading')}</p>}
        {devices.data && devices.data.devices.length === 0 && <p className={styles.muted}>{t('home.noDevices')}</p>}
        {devices.data && devices.data.devices.length > 0 && (
          <ul className={styles.list}>
            {devices.data.devices.map((device) => (
              <li key={device.id} className={styles.row}>
                <span>
                  <strong>{device.name}</strong> <span className={styles.muted}>{device.model}</span>
                  <br />
                  <span className={styles.description}>
                    {device.lastSeenAt
                      ? t('home.lastSeen', { when: format.date(device.lastSeenAt) })
                      : t('home.neverSeen')}
                  </span>
                </span>
                <span className={styles.badge}>{device.locked ? t('home.locked') : t('home.unlocked')}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title={t('home.storage')}>
        {storage.isError && <Alert>{errorText(storage.error)}</Alert>}
        {storage.data && (
          <>
            <p>
              {t('home.used', {
                used: format.bytes(storage.data.usedBytes),
                quota: format.bytes(storage.data.quotaBytes),
              })}
            </p>
            <dl className={styles.dl}>
              {COLLECTIONS.map((name) => (
                <div key={name} className={styles.group}>
                  <dt>{t(`collections.${name}`)}</dt>
                  <dd>
                    {t('home.items', {
                      count: storage.data.collections[name].count,
                      n: format.number(storage.data.collections[name].count),
                    })}{' '}
                    · {format.bytes(storage.data.collections[name].bytes)}
                  </dd>
                </div>
              ))}
            </dl>
          </>
        )}
      </Card>

      <Card title={t('home.apps')}>
        {apps.isError && <Alert>{errorText(apps.error)}</Alert>}
        {apps.data && apps.data.apps.length === 0 && <p className={styles.muted}>{t('home.noApps')}</p>}
        {apps.data && apps.data.apps.length > 0 && (
          <ul className={styles.list}>
            {apps.data.apps.map((app) => (
              <li key={app.clientId}>
                <strong>{app.name}</strong>{' '}
                <span className={styles.description}>{t('home.appSince', { when: format.date(app.grantedAt) })}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/')({ component: OverviewPage });
