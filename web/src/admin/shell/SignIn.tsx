import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { SignInForm } from '@shared/sign-in/SignInForm';
import { Alert } from '@shared/ui/base';
import { sessionChanged } from '../../shell/session';
import { forgetSessionEnded, sessionEndedReason } from './ended';

/**
 * Staff sign in like anyone, with the portal's own form (POST /v1/sessions, then the second factor when
 * one is enrolled), with the cookie session; the page they asked for then shows in place.
 */
export function SignIn({ signedOut }: { signedOut: boolean }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const ended = sessionEndedReason();

  return (
    <SignInForm
      words={{ t: (key) => t(key), exists: (key) => i18n.exists(key) }}
      title={t('admin.signIn.title')}
      onSignedIn={async () => {
        forgetSessionEnded();
        await sessionChanged(queryClient);
      }}
      before={
        <>
          {signedOut && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
          {!signedOut && ended && (
            <Alert tone="warning">
              {t(ended === 'staff.session_idle' ? 'admin.signIn.idle' : 'errors.unauthenticated')}
            </Alert>
          )}
          <p>{t('admin.signIn.intro')}</p>
        </>
      }
    />
  );
}
