import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert } from '@shared/ui';
import { LinkActionPage } from '@shared/ui/LinkActionPage';
import { sessionChanged } from '../../shell/session';

/** The page of the undo link sent to the old address after an email or phone change. */
function UndoChangePage() {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const { token } = useSearch({ from: '/account/undo-change' });
  const undo = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/address-changes/undo', { body: { token: token ?? '' } })),
    // Every web session of the account has ended, this browser's included if it had one.
    onSuccess: () => sessionChanged(queryClient),
  });
  return (
    <LinkActionPage
      title={t('undoChange.title')}
      token={token}
      invalidText={t('errors.undo_link_invalid')}
      intro={<p>{t('undoChange.intro')}</p>}
      submit={t('undoChange.submit')}
      itWasMe={t('undoChange.itWasMe')}
      action={undo}
      failure={(error) =>
        error instanceof ApiError && error.code === 'conflict' ? t('undoChange.conflict') : errorText(error)
      }
      done={(data) => (
        <>
          <Alert tone="ok">{data.field === 'email' ? t('undoChange.doneEmail') : t('undoChange.donePhone')}</Alert>
          <p>{t('undoChange.next')}</p>
          <p>
            <Link to="/forgot-password">{t('undoChange.resetPassword')}</Link>
          </p>
        </>
      )}
    />
  );
}

export const Route = createLazyRoute('/account/undo-change')({ component: UndoChangePage });
