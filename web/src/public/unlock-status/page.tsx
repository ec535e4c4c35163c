import { useQuery } from '@tanstack/react-query';
import { createLazyRoute, Link, useLocation, useNavigate, useParams } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, TextField, styles, usePageTitle } from '@shared/ui';
import { tokenFromHash } from '../fragment';

/** Where an unlock request stands, for the holder of its status token (from the link, or typed in). */
function UnlockStatusPage() {
  const { t } = useTranslation();
  usePageTitle(t('unlockStatus.title'));
  const errorText = useErrorText();
  const format = useFormat();
  const navigate = useNavigate();
  const { requestId } = useParams({ from: '/unlock/$requestId' });
  const token = tokenFromHash(useLocation({ select: (location) => location.hash }));
  const [typed, setTyped] = useState('');
  const status = useQuery({
    queryKey: ['unlock-request', requestId, token],
    enabled: token !== undefined,
    queryFn: async () =>
      ok(
        await api.GET('/v1/unlock-requests/{id}', {
          params: { path: { id: requestId }, query: { token: token ?? '' } },
        }),
      ),
  });
  const request = status.data;

  return (
    <div className={styles.narrow}>
      <h1>{t('unlockStatus.title')}</h1>
      <div className={styles.card}>
        <p className={styles.description}>{t('unlockStatus.request', { id: requestId })}</p>
        {!token && (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              void navigate({ to: '/unlock/$requestId', params: { requestId }, hash: `token=${typed.trim()}` });
            }}
          >
            <p>{t('unlockStatus.needToken')}</p>
            <TextField
              label={t('unlockStatus.token')}
              isRequired
              autoComplete="off"
              value={typed}
              onChange={setTyped}
            />
            <Button type="submit">{t('unlockStatus.show')}</Button>
          </Form>
        )}
        {status.isPending && token && (
          <p className={styles.muted} role="status">
            {t('shell.loading')}
          </p>
        )}
        {status.isError && <Alert>{errorText(status.error)}</Alert>}
        {request && (
          <div role="status">
            <p>
              <strong>{t(`unlockStatus.states.${request.status}`)}</strong>
            </p>
            <p>{t(`unlockStatus.explain.${request.status}`, { releaseAt: format.date(request.releaseAt) })}</p>
            <dl className={styles.dl}>
              <dt>{t('unlockStatus.sentAt')}</dt>
              <dd>{format.date(request.createdAt)}</dd>
              {request.decidedAt && (
                <>
                  <dt>{t('unlockStatus.decidedAt')}</dt>
                  <dd>{format.date(request.decidedAt)}</dd>
                </>
              )}
              {request.releaseAt && request.status === 'waiting' && (
                <>
                  <dt>{t('unlockStatus.releaseAt')}</dt>
                  <dd>{format.date(request.releaseAt)}</dd>
                </>
              )}
              {request.releasedAt && (
                <>
                  <dt>{t('unlockStatus.releasedAt')}</dt>
                  <dd>{format.date(request.releasedAt)}</dd>
                </>
              )}
            </dl>
          </div>
        )}
      </div>
      <p>
        <Link to="/unlock">{t('unlockStatus.newRequest')}</Link>
      </p>
    </div>
  );
}

export const Route = createLazyRoute('/unlock/$requestId')({ component: UnlockStatusPage });
