import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '../../shared/api/client';
import { useErrorText } from '../../shared/i18n';
import { Alert, Button, styles, usePageTitle } from '../../shared/ui';
import { sessionChanged } from '../../shell/session';

/**
 * The page of the undo link sent to the old address after an email or phone change. It asks before it
 * acts: mail scanners open links, and opening one must change nothing.
 */
function UndoChangePage() {
  const { t } = useTranslation();
  usePageTitle(t('undoChange.title'));
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const { token } = useSearch({ from: '/account/undo-change' });
  const undo = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/address-changes/undo', { body: { token: token ?? '' } })),
    // Every web session of the account has ended, this browser's included if it had one.
    onSuccess: () => sessionChanged(queryClient),
  });
  const failure = (error: unknown) => (error instanceof ApiError && error.code === 'conflict' ? t('undoChange.conflict') : errorText(error));

  return (
    <div className={styles.narrow}>
      <h1>{t('undoChange.title')}</h1>
      {undo.isSuccess ? (
        <>
          <Alert tone="ok">{undo.data.field === 'email' ? t('undoChange.doneEmail') : t('undoChange.donePhone')}</Alert>
          <p>{t('undoChange.next')}</p>
          <p><Link to="/forgot-password">{t('undoChange.resetPassword')}</Link></p>
        </>
      ) : !token ? (
        <Alert>{t('errors.undo_link_invalid')}</Alert>
      ) : (
        <div className={styles.card}>
          {undo.isError && <Alert>{failure(undo.error)}</Alert>}
          <p>{t('undoChange.intro')}</p>
          <div className={styles.actions}>
            <Button variant="danger" onPress={() => undo.mutate()} isDisabled={undo.isPending}>{t('undoChange.submit')}</Button>
            <Link to="/">{t('undoChange.itWasMe')}</Link>
          </div>
        </div>
      )}
    </div>
  );
}

export const Route = createLazyRoute('/account/undo-change')({ component: UndoChangePage });
