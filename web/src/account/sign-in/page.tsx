import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { browserSupportsWebAuthn, PasskeyRefused, signWithPasskey } from '@shared/passkeys';
import { factorOf } from '@shared/second-factor';
import { Alert, Button, TextField, styles, usePageTitle } from '@shared/ui';
import { safeNext, sessionChanged } from '../../shell/session';

function SignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('signIn.title'));
  const errorText = useErrorText();
  const search = useSearch({ from: '/sign-in' });
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  // Set when the password was right and the account asks for its second factor.
  const [challenge, setChallenge] = useState<
    { challengeId: string; methods: string[]; passkeyOptions?: unknown } | undefined
  >(undefined);
  const passkeys = browserSupportsWebAuthn();

  const signedIn = async () => {
    await sessionChanged(queryClient);
    await navigate({ href: safeNext(search.next) });
  };
  const signIn = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/v1/sessions', { body: { login: login.trim(), password, kind: 'web' } })),
    onSuccess: async (answer) => {
      if ('secondFactor' in answer && answer.secondFactor) {
        setChallenge(answer.secondFactor);
        return;
      }
      await signedIn();
    },
  });
  const secondStep = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/v1/sessions/second-factor', {
          body: { challengeId: challenge!.challengeId, ...factorOf(code) },
        }),
      ),
    onSuccess: signedIn,
    onError: (error) => {
      // The step expired or had too many wrong codes: back to the password.
      if (
        error instanceof ApiError &&
        (error.code === 'two_step.challenge_invalid' || error.code === 'two_step.too_many_attempts')
      )
        setChallenge(undefined);
    },
  });

  // Passwordless: a passkey verifies the person on its own (the server asks user verification for it).
  const withPasskey = useMutation({
    mutationFn: async () => {
      const response = await signWithPasskey(ok(await api.POST('/v1/sessions/passkey/options')));
      return ok(await api.POST('/v1/sessions/passkey', { body: { response, kind: 'web' } }));
    },
    onSuccess: signedIn,
  });
  const secondWithPasskey = useMutation({
    mutationFn: async () => {
      const response = await signWithPasskey(challenge!.passkeyOptions);
      return ok(
        await api.POST('/v1/sessions/second-factor', {
          body: { challengeId: challenge!.challengeId, method: 'passkey', response },
        }),
      );
    },
    onSuccess: signedIn,
  });
  const passkeyError = (error: unknown) =>
    error instanceof PasskeyRefused ? t('signIn.passkeyRefused') : errorText(error);

  if (challenge) {
    const byPasskey = passkeys && challenge.methods.includes('passkey') && challenge.passkeyOptions !== undefined;
    const byCode = challenge.methods.includes('totp') || challenge.methods.includes('recovery_code');
    return (
      <div className={styles.narrow}>
        <h1>{t('secondFactor.title')}</h1>
        <div className={styles.card}>
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              secondStep.mutate();
            }}
          >
            {secondStep.isError && <Alert>{errorText(secondStep.error)}</Alert>}
            {secondWithPasskey.isError && <Alert>{passkeyError(secondWithPasskey.error)}</Alert>}
            <p>
              {byCode
                ? t('secondFactor.intro')
                : byPasskey
                  ? t('secondFactor.passkeyIntro')
                  : t('secondFactor.passkeyOnly')}
            </p>
            {byCode && (
              <TextField
                label={t('secondFactor.code')}
                description={t('secondFactor.codeHint')}
                name="code"
                autoComplete="one-time-code"
                isRequired
                autoFocus
                value={code}
                onChange={setCode}
              />
            )}
            <div className={styles.actions}>
              {byCode && (
                <Button type="submit" isDisabled={secondStep.isPending}>
                  {t('secondFactor.submit')}
                </Button>
              )}
              {byPasskey && (
                <Button
                  variant={byCode ? 'secondary' : 'primary'}
                  onPress={() => secondWithPasskey.mutate()}
                  isDisabled={secondWithPasskey.isPending}
                >
                  {t('secondFactor.usePasskey')}
                </Button>
              )}
              <Button
                variant="secondary"
                onPress={() => {
                  setChallenge(undefined);
                  setCode('');
                  secondStep.reset();
                }}
              >
                {t('secondFactor.back')}
              </Button>
            </div>
          </Form>
        </div>
      </div>
    );
  }

  return (
    <div className={styles.narrow}>
      <h1>{t('signIn.title')}</h1>
      {search.signedOut && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
      <div className={styles.card}>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            signIn.mutate();
          }}
        >
          {signIn.isError && <Alert>{errorText(signIn.error)}</Alert>}
          {withPasskey.isError && <Alert>{passkeyError(withPasskey.error)}</Alert>}
          <TextField
            label={t('signIn.login')}
            name="username"
            autoComplete="username"
            isRequired
            value={login}
            onChange={setLogin}
          />
          <TextField
            label={t('signIn.password')}
            name="password"
            type="password"
            autoComplete="current-password"
            isRequired
            value={password}
            onChange={setPassword}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={signIn.isPending}>
              {t('signIn.submit')}
            </Button>
            <Link to="/forgot-password">{t('signIn.forgot')}</Link>
          </div>
          {passkeys && (
            <div className={styles.actions}>
              <Button variant="secondary" onPress={() => withPasskey.mutate()} isDisabled={withPasskey.isPending}>
                {t('signIn.withPasskey')}
              </Button>
            </div>
          )}
        </Form>
      </div>
      <p>
        {t('signIn.noAccount')} <Link to="/create-account">{t('signIn.create')}</Link>
      </p>
      <p>
        <Link to="/check-device">{t('checkDevice.fromSignIn')}</Link>
      </p>
    </div>
  );
}

export const Route = createLazyRoute('/sign-in')({ component: SignInPage });
