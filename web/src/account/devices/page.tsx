import { useQuery } from '@tanstack/react-query';
import { createLazyRoute, Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Card, styles, usePageTitle } from '@shared/ui';

function DevicesPage() {
  const { t } = useTranslation();
  usePageTitle(t('devices.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const devices = useQuery({ queryKey: ['devices'], queryFn: async () => ok(await api.GET('/v1/devices')) });

  return (
    <>
      <h1>{t('devices.title')}</h1>
      <Card>
        {devices.isError && <Alert>{errorText(devices.error)}</Alert>}
        {devices.isPending && <p className={styles.muted}>{t('shell.loading')}</p>}
        {devices.data && devices.data.devices.length === 0 && <p className={styles.muted}>{t('home.noDevices')}</p>}
        {devices.data && devices.data.devices.length > 0 && (
          <ul className={styles.list}>
            {devices.data.devices.map((device) => (
              <li key={device.id} className={styles.row}>
                <span>
                  <Link to="/devices/$deviceId" params={{ deviceId: device.id }}>
                    <strong>{device.name}</strong>
                  </Link>{' '}
                  <span className={styles.muted}>
                    {device.model} · …{device.serialHint}
                  </span>
                  <br />
                  <span className={styles.description}>
                    {device.tokenActive ? t('devices.signedIn') : t('devices.signedOut')} ·{' '}
                    {t('home.lastSeen', { when: format.date(device.lastSeenAt) })}
                  </span>
                </span>
                <span className={styles.badge}>{device.locked ? t('home.locked') : t('home.unlocked')}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/devices')({ component: DevicesPage });
