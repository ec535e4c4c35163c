import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { factorOf } from '@shared/second-factor';
import { Alert, Button, TextField, styles, usePageTitle } from '@shared/ui';
import { sessionChanged } from '../../shell/session';
import { forgetSessionEnded, sessionEndedReason } from './ended';

/**
 * Staff sign in like anyone (POST /v1/sessions, then the second factor when one is enrolled), with the
 * cookie session; the page they asked for then shows in place.
 */
export function SignIn({ signedOut }: { signedOut: boolean }) {
  const { t } = useTranslation();
  usePageTitle(t('admin.signIn.title'));
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const ended = sessionEndedReason();
  const [challenge, setChallenge] = useState<{ challengeId: string; methods: string[] } | undefined>(undefined);

  const signIn = useMutation({
    mutationFn: async () =>
      ok(await api.POST('/v1/sessions', { body: { login: login.trim(), password, kind: 'web' } })),
    onSuccess: async (answer) => {
      if ('secondFactor' in answer && answer.secondFactor) setChallenge(answer.secondFactor);
      else {
        forgetSessionEnded();
        await sessionChanged(queryClient);
      }
    },
  });
  const secondStep = useMutation({
    mutationFn: async () =>
      ok(
        await api.POST('/v1/sessions/second-factor', {
          body: { challengeId: challenge!.challengeId, ...factorOf(code) },
        }),
      ),
    onSuccess: () => {
      forgetSessionEnded();
      return sessionChanged(queryClient);
    },
    onError: (error) => {
      if (
        error instanceof ApiError &&
        (error.code === 'two_step.challenge_invalid' || error.code === 'two_step.too_many_attempts')
      )
        setChallenge(undefined);
    },
  });

  if (challenge) {
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
            <p>{t('secondFactor.intro')}</p>
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
            <div className={styles.actions}>
              <Button type="submit" isDisabled={secondStep.isPending}>
                {t('secondFactor.submit')}
              </Button>
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
      <h1>{t('admin.signIn.title')}</h1>
      {signedOut && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
      {!signedOut && ended && (
        <Alert tone="warning">
          {t(ended === 'staff.session_idle' ? 'admin.signIn.idle' : 'errors.unauthenticated')}
        </Alert>
      )}
      <p>{t('admin.signIn.intro')}</p>
      <div className={styles.card}>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            signIn.mutate();
          }}
        >
          {signIn.isError && <Alert>{errorText(signIn.error)}</Alert>}
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
          </div>
        </Form>
      </div>
    </div>
  );
}
