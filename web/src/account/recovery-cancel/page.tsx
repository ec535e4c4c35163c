import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, ok } from '../../shared/api/client';
import { useErrorText } from '../../shared/i18n';
import { Alert, Button, styles, usePageTitle } from '../../shared/ui';

/**
 * The page of the cancel link in the notice of a password recovery without the second factor. It asks
 * before it acts: mail scanners open links, and opening one must cancel nothing.
 */
function RecoveryCancelPage() {
  const { t } = useTranslation();
  usePageTitle(t('recoveryCancel.title'));
  const errorText = useErrorText();
  const { token } = useSearch({ from: '/account/recovery-cancel' });
  const cancel = useMutation({ mutationFn: async () => ok(await api.POST('/v1/recovery/cancel', { body: { token: token ?? '' } })) });

  return (
    <div className={styles.narrow}>
      <h1>{t('recoveryCancel.title')}</h1>
      {cancel.isSuccess ? (
        <>
          <Alert tone="ok">{t('recoveryCancel.done')}</Alert>
          <p><Link to="/sign-in">{t('recoveryCancel.signIn')}</Link></p>
        </>
      ) : !token ? (
        <Alert>{t('errors.recovery.cancel_invalid')}</Alert>
      ) : (
        <div className={styles.card}>
          {cancel.isError && <Alert>{errorText(cancel.error)}</Alert>}
          <p>{t('recoveryCancel.intro')}</p>
          <div className={styles.actions}>
            <Button variant="danger" onPress={() => cancel.mutate()} isDisabled={cancel.isPending}>{t('recoveryCancel.submit')}</Button>
            <Link to="/">{t('recoveryCancel.itWasMe')}</Link>
          </div>
        </div>
      )}
    </div>
  );
}

export const Route = createLazyRoute('/account/recovery-cancel')({ component: RecoveryCancelPage });
