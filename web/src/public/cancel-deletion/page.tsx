import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, useLocation } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, styles, usePageTitle } from '@shared/ui';
import { tokenFromHash } from '../fragment';

/**
 * The page of a scheduled deletion's cancel link. It asks before it acts (mail scanners open links); the
 * token stays in the fragment, which no server sees.
 */
function CancelDeletionPage() {
  const { t } = useTranslation();
  usePageTitle(t('cancelDeletion.title'));
  const errorText = useErrorText();
  const token = tokenFromHash(useLocation({ select: (location) => location.hash }));
  const cancel = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/deletion/cancel', { body: { token: token ?? '' } })),
  });
  const failure = (error: unknown) =>
    error instanceof ApiError && (error.code === 'not_found' || error.code === 'validation_failed')
      ? t('cancelDeletion.linkDead')
      : errorText(error);

  return (
    <div className={styles.narrow}>
      <h1>{t('cancelDeletion.title')}</h1>
      {cancel.isSuccess ? (
        <>
          <Alert tone="ok">{t('cancelDeletion.done')}</Alert>
          <p>
            <a href="/sign-in">{t('cancelDeletion.signIn')}</a>
          </p>
        </>
      ) : !token ? (
        <Alert>{t('cancelDeletion.linkDead')}</Alert>
      ) : (
        <div className={styles.card}>
          <p>{t('cancelDeletion.intro')}</p>
          {cancel.isError && <Alert>{failure(cancel.error)}</Alert>}
          {cancel.isPending && (
            <p className={styles.muted} role="status">
              {t('cancelDeletion.keeping')}
            </p>
          )}
          <Button onPress={() => cancel.mutate()} isDisabled={cancel.isPending}>
            {t('cancelDeletion.submit')}
          </Button>
        </div>
      )}
    </div>
  );
}

export const Route = createLazyRoute('/account/cancel-deletion')({ component: CancelDeletionPage });
