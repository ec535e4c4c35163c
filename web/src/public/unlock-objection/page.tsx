import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, Link, useParams } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, styles, usePageTitle } from '@shared/ui';

/** The owner of a locked device objects to a request to release its lock; the device then stays locked. */
function UnlockObjectionPage() {
  const { t } = useTranslation();
  usePageTitle(t('unlockObjection.title'));
  const errorText = useErrorText();
  const { requestId } = useParams({ from: '/unlock/$requestId/object' });
  const object = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/v1/unlock-requests/{id}/object', { params: { path: { id: requestId } }, body: {} })),
  });
  // Not found means: no open request of that id against a device locked to this account.
  const failure = (error: unknown) =>
    error instanceof ApiError && error.code === 'not_found' ? t('unlockObjection.notFound') : errorText(error);

  return (
    <div className={styles.narrow}>
      <h1>{t('unlockObjection.title')}</h1>
      <div className={styles.card}>
        <p className={styles.description}>{t('unlockStatus.request', { id: requestId })}</p>
        {object.isSuccess ? (
          <>
            <Alert tone="ok">{t('unlockObjection.done')}</Alert>
            <p>
              <Link to="/devices">{t('unlockObjection.devices')}</Link>
            </p>
          </>
        ) : (
          <>
            <p>{t('unlockObjection.intro')}</p>
            <p>{t('unlockObjection.soldIt')}</p>
            {object.isError && <Alert>{failure(object.error)}</Alert>}
            {object.isPending && (
              <p className={styles.muted} role="status">
                {t('unlockObjection.sending')}
              </p>
            )}
            <div className={styles.actions}>
              <Button variant="danger" isDisabled={object.isPending} onPress={() => object.mutate()}>
                {t('unlockObjection.submit')}
              </Button>
              <Link to="/devices">{t('unlockObjection.devices')}</Link>
            </div>
          </>
        )}
      </div>
    </div>
  );
}

export const Route = createLazyRoute('/unlock/$requestId/object')({ component: UnlockObjectionPage });
