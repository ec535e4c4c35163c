import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '../../shared/api/client';
import { useErrorText } from '../../shared/i18n';
import { Alert, Button, styles, usePageTitle } from '../../shared/ui';
import { sessionChanged } from '../../shell/session';

/**
 * The page of the "Lock my account" link in new sign-in and address-changed notices. It asks before it
 * acts: mail scanners open links, and opening one must lock nothing.
 */
function LockAccountPage() {
  const { t } = useTranslation();
  usePageTitle(t('lockAccount.title'));
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const { token } = useSearch({ from: '/account/lock' });
  const lock = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/account-lock', { body: { token: token ?? '' } })),
    // Every web session of the account has ended, this browser's included if it had one.
    onSuccess: () => sessionChanged(queryClient),
  });

  return (
    <div className={styles.narrow}>
      <h1>{t('lockAccount.title')}</h1>
      {lock.isSuccess ? (
        <>
          <Alert tone="ok">{t('lockAccount.done')}</Alert>
          <p><Link to="/forgot-password">{t('lockAccount.resetPassword')}</Link></p>
        </>
      ) : !token ? (
        <Alert>{t('errors.account_lock.link_invalid')}</Alert>
      ) : (
        <div className={styles.card}>
          {lock.isError && <Alert>{errorText(lock.error)}</Alert>}
          <p>{t('lockAccount.intro')}</p>
          <ul>
            <li>{t('lockAccount.effectSessions')}</li>
            <li>{t('lockAccount.effectSignIn')}</li>
            <li>{t('lockAccount.effectKept')}</li>
          </ul>
          <div className={styles.actions}>
            <Button variant="danger" onPress={() => lock.mutate()} isDisabled={lock.isPending}>{t('lockAccount.submit')}</Button>
            <Link to="/">{t('lockAccount.itWasMe')}</Link>
          </div>
        </div>
      )}
    </div>
  );
}

export const Route = createLazyRoute('/account/lock')({ component: LockAccountPage });
