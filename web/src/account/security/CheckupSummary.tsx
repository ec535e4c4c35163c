import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { Card, styles } from '@shared/ui';
import { useCheckupItems, type CheckupInput } from './Checkup';
import { devicesQuery, eventsQuery, securityQuery, sessionsQuery, unlockRequestsQuery } from './queries';
import css from './security.module.css';

function Summary(input: CheckupInput) {
  const { t } = useTranslation();
  const needs = useCheckupItems(input).filter((i) => i.attention);
  return (
    <>
      <p className={needs.length > 0 ? css.summaryWarn : css.summaryOk}>
        {needs.length > 0 ? t('security.checkup.summary', { count: needs.length }) : t('security.checkup.allGood')}
      </p>
      {needs.length > 0 && (
        <ul>
          {needs.map((item) => (
            <li key={item.key}>{item.title}</li>
          ))}
        </ul>
      )}
      <p>
        <Link to="/security">{t('security.checkup.open')}</Link>
      </p>
    </>
  );
}

/** The home page's glance at the security checkup: what needs attention, and the way to the full checkup. */
export function CheckupSummary() {
  const { t } = useTranslation();
  const security = useQuery(securityQuery);
  const events = useQuery(eventsQuery);
  const devices = useQuery(devicesQuery);
  const current = useQuery(sessionsQuery).data?.sessions.find((s) => s.current);
  const unlockRequests = useQuery(unlockRequestsQuery).data?.requests;
  return (
    <Card title={t('security.checkup.title')}>
      {security.data ? (
        <Summary
          security={security.data}
          events={events.data?.events}
          devices={devices.data?.devices}
          current={current}
          unlockRequests={unlockRequests}
          now={Date.now()}
        />
      ) : (
        <p className={styles.muted}>
          <Link to="/security">{t('security.checkup.open')}</Link>
        </p>
      )}
    </Card>
  );
}
