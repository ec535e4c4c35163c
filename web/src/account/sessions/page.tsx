import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import i18next from 'i18next';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, Card, styles, usePageTitle } from '@shared/ui';

function SessionsPage() {
  const { t } = useTranslation();
  usePageTitle(t('sessions.title'));
  const format = useFormat();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: async () => ok(await api.GET('/v1/sessions')) });
  const events = useQuery({ queryKey: ['events'], queryFn: async () => ok(await api.GET('/v1/me/events')) });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['sessions'] }),
      queryClient.invalidateQueries({ queryKey: ['events'] }),
    ]);

  const end = useMutation({
    mutationFn: async (ids: string[]) => {
      for (const id of ids) await api.DELETE('/v1/sessions/{id}', { params: { path: { id } } });
    },
    onSettled: refresh,
  });
  const others = sessions.data?.sessions.filter((s) => !s.current) ?? [];
  const eventText = (type: string) => {
    const key = `events.${type.replace(/\./g, '_')}`;
    return i18next.exists(key) ? t(key) : type;
  };

  return (
    <>
      <h1>{t('sessions.title')}</h1>
      <Card title={t('sessions.signedIn')}>
        {end.isError && <Alert>{errorText(end.error)}</Alert>}
        {end.isSuccess && <Alert tone="ok">{t('sessions.ended')}</Alert>}
        {sessions.isError && <Alert>{errorText(sessions.error)}</Alert>}
        {sessions.data && (
          <ul className={styles.list}>
            {sessions.data.sessions.map((session) => (
              <li key={session.id} className={styles.row}>
                <span>
                  <strong>{session.client || t(`sessions.kinds.${session.kind}`)}</strong>{' '}
                  {session.current && <span className={styles.badge}>{t('sessions.thisOne')}</span>}
                  <br />
                  <span className={styles.description}>
                    {t(`sessions.kinds.${session.kind}`)} · {session.ip ?? '—'} ·{' '}
                    {t('sessions.lastUsed', { when: format.date(session.lastUsedAt ?? session.createdAt) })}
                  </span>
                </span>
                {!session.current && (
                  <Button
                    variant="secondary"
                    onPress={() => end.mutate([session.id])}
                    aria-label={t('sessions.signOutOne', { name: session.client || session.id })}
                  >
                    {t('sessions.signOut')}
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
        {others.length > 0 && (
          <div className={styles.actions}>
            <Button variant="danger" onPress={() => end.mutate(others.map((s) => s.id))} isDisabled={end.isPending}>
              {t('sessions.signOutOthers')}
            </Button>
          </div>
        )}
      </Card>
      <Card title={t('sessions.activity')}>
        {events.isError && <Alert>{errorText(events.error)}</Alert>}
        {events.data && (
          <ul className={styles.list}>
            {events.data.events.map((event) => (
              <li key={event.id}>
                <strong>{eventText(event.type)}</strong>
                <br />
                <span className={styles.description}>
                  {format.date(event.at)} · {event.client ?? ''} · {event.ip ?? ''}
                </span>
                {event.reason && (
                  <>
                    <br />
                    <span className={styles.description}>{t('events.reason', { reason: event.reason })}</span>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/sessions')({ component: SessionsPage });
