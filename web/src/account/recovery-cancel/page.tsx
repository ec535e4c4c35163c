import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { Alert } from '@shared/ui';
import { LinkActionPage } from '@shared/ui/LinkActionPage';

/** The page of the cancel link in the notice of a password reset without the second factor. */
function RecoveryCancelPage() {
  const { t } = useTranslation();
  const { token } = useSearch({ from: '/account/recovery-cancel' });
  const cancel = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/recovery/cancel', { body: { token: token ?? '' } })),
  });
  return (
    <LinkActionPage
      title={t('recoveryCancel.title')}
      token={token}
      invalidText={t('errors.recovery.cancel_invalid')}
      intro={<p>{t('recoveryCancel.intro')}</p>}
      submit={t('recoveryCancel.submit')}
      itWasMe={t('recoveryCancel.itWasMe')}
      action={cancel}
      done={() => (
        <>
          <Alert tone="ok">{t('recoveryCancel.done')}</Alert>
          <p>
            <a href="/sign-in">{t('recoveryCancel.signIn')}</a>
          </p>
        </>
      )}
    />
  );
}

export const Route = createLazyRoute('/account/recovery-cancel')({ component: RecoveryCancelPage });
