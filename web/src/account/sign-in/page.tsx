import { useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { SignInForm } from '@shared/sign-in/SignInForm';
import { Alert } from '@shared/ui/base';
import { safeNext, sessionChanged } from '../../shell/session';

function SignInPage() {
  const { t } = useTranslation();
  const search = useSearch({ from: '/sign-in' });
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  return (
    <SignInForm
      title={t('signIn.title')}
      passwordless
      onSignedIn={async () => {
        await sessionChanged(queryClient);
        await navigate({ href: safeNext(search.next) });
      }}
      before={search.signedOut && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
      actions={<Link to="/forgot-password">{t('signIn.forgot')}</Link>}
      after={
        <>
          <p>
            {t('signIn.noAccount')} <Link to="/create-account">{t('signIn.create')}</Link>
          </p>
          <p>
            <Link to="/check-device">{t('checkDevice.fromSignIn')}</Link>
          </p>
        </>
      }
    />
  );
}

export const Route = createLazyRoute('/sign-in')({ component: SignInPage });
