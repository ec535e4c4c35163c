import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useErrorText } from '@shared/i18n';
import { Alert, Card, styles, usePageTitle } from '@shared/ui';
import { sessionChanged } from '../../shell/session';
import { Checkup } from './Checkup';
import { LockSection } from './LockSection';
import { PasskeysSection } from './PasskeysSection';
import { PasswordSection } from './PasswordSection';
import { devicesQuery, eventsQuery, securityQuery, sessionsQuery, unlockRequestsQuery } from './queries';
import { RecoveryCodesSection } from './RecoveryCodesSection';
import { TotpSection } from './TotpSection';

function Sections({ onLocked }: { onLocked: () => void }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const security = useQuery(securityQuery);
  const events = useQuery(eventsQuery);
  const devices = useQuery(devicesQuery);
  const current = useQuery(sessionsQuery).data?.sessions.find((s) => s.current);
  const unlockRequests = useQuery(unlockRequestsQuery).data?.requests;
  if (security.isError) return <Alert>{errorText(security.error)}</Alert>;
  if (!security.data) return <p role="status">{t('shell.loading')}</p>;
  const view = security.data;
  return (
    <>
      <Checkup
        security={view}
        events={events.data?.events}
        devices={devices.data?.devices}
        current={current}
        unlockRequests={unlockRequests}
        now={Date.now()}
      />
      <PasswordSection changedAt={view.password.changedAt} />
      <TotpSection enabled={view.totp.enabled} />
      <PasskeysSection passkeys={view.passkeys} />
      <RecoveryCodesSection
        remaining={view.recoveryCodes.remaining}
        low={view.recoveryCodes.low}
        twoStep={view.secondFactorRequired}
      />
      <LockSection onLocked={onLocked} />
    </>
  );
}

function SecurityPage() {
  const { t } = useTranslation();
  usePageTitle(t('security.title'));
  const queryClient = useQueryClient();
  const [locked, setLocked] = useState(false);
  if (locked) {
    return (
      <>
        <h1>{t('security.lock.doneTitle')}</h1>
        <Card>
          <Alert tone="ok">{t('security.lock.done')}</Alert>
          <p>{t('security.lock.how')}</p>
          <p>
            <Link to="/forgot-password">{t('security.lock.reset')}</Link>
          </p>
        </Card>
      </>
    );
  }
  return (
    <>
      <h1>{t('security.title')}</h1>
      <p className={styles.muted}>{t('security.intro')}</p>
      <Sections
        onLocked={() => {
          setLocked(true);
          void sessionChanged(queryClient);
        }}
      />
    </>
  );
}

export const Route = createLazyRoute('/security')({ component: SecurityPage });
