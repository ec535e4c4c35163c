import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { Alert } from '@shared/ui';
import { LinkActionPage } from '@shared/ui/LinkActionPage';
import { sessionChanged } from '../../shell/session';

/** The page of the "Lock my account" link in new sign-in and address-changed notices. */
function LockAccountPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const { token } = useSearch({ from: '/account/lock' });
  const lock = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/account-lock', { body: { token: token ?? '' } })),
    // Every web session of the account has ended, this browser's included if it had one.
    onSuccess: () => sessionChanged(queryClient),
  });
  return (
    <LinkActionPage
      title={t('lockAccount.title')}
      token={token}
      invalidText={t('errors.account_lock.link_invalid')}
      intro={
        <>
          <p>{t('lockAccount.intro')}</p>
          <ul>
            <li>{t('lockAccount.effectSessions')}</li>
            <li>{t('lockAccount.effectSignIn')}</li>
            <li>{t('lockAccount.effectKept')}</li>
          </ul>
        </>
      }
      submit={t('lockAccount.submit')}
      itWasMe={t('lockAccount.itWasMe')}
      action={lock}
      done={() => (
        <>
          <Alert tone="ok">{t('lockAccount.done')}</Alert>
          <p>
            <Link to="/forgot-password">{t('lockAccount.resetPassword')}</Link>
          </p>
        </>
      )}
    />
  );
}

export const Route = createLazyRoute('/account/lock')({ component: LockAccountPage });
