import { useMutation } from '@tanstack/react-query';
import { createLazyRoute } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ApiError, api, ok } from '@shared/api/client';
import { fieldError, useErrorText, useFormat } from '@shared/i18n';
import { factorOf } from '@shared/second-factor';
import { Alert, Button, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { Captcha } from '@shared/ui/Captcha';
import { NewPasswordField } from '@shared/ui/PasswordField';

type Channel = 'email' | 'sms';
/**
 * The flow: who and where (behind the captcha), then the code with the new password, then (with 2-step
 * verification) the second factor or the waiting period, then done.
 */
type Step =
  | { name: 'ask' }
  | { name: 'code'; login: string; channel: Channel }
  | { name: 'factor'; login: string; waitingPeriodHours: number }
  | { name: 'waiting'; completesAt: string }
  | { name: 'done' };

function ForgotPasswordPage() {
  const { t } = useTranslation();
  usePageTitle(t('recovery.title'));
  const errorText = useErrorText();
  const [step, setStep] = useState<Step>({ name: 'ask' });
  const [login, setLogin] = useState('');
  const [channel, setChannel] = useState<Channel>('email');
  const [captcha, setCaptcha] = useState<string>();
  const [captchaRound, setCaptchaRound] = useState(0);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');

  const ask = useMutation({
    mutationFn: async () => {
      if (!captcha) throw new CaptchaMissing();
      return ok(await api.POST('/v1/recovery', { body: { login: login.trim(), channel, captcha } }));
    },
    onSuccess: () => setStep({ name: 'code', login: login.trim(), channel }),
    // A payload is accepted once: a refused request needs a new one.
    onError: () => {
      setCaptcha(undefined);
      setCaptchaRound((n) => n + 1);
    },
  });
  const [factorCode, setFactorCode] = useState('');
  const complete = useMutation({
    mutationFn: async (input: { login: string; secondFactor?: string; waitingPeriod?: boolean }) =>
      ok(
        await api.POST('/v1/recovery/complete', {
          body: {
            login: input.login,
            code: code.trim(),
            newPassword: password,
            ...(input.secondFactor ? { secondFactor: factorOf(input.secondFactor) } : {}),
            ...(input.waitingPeriod ? { waitingPeriod: true } : {}),
          },
        }),
      ),
    onSuccess: (answer) =>
      setStep(
        answer && 'completesAt' in answer ? { name: 'waiting', completesAt: answer.completesAt } : { name: 'done' },
      ),
    onError: (error, input) => {
      // The code and the password were right; the account also asks its second step.
      if (error instanceof ApiError && error.code === 'two_step.required') {
        const hours = typeof error.problem.waitingPeriodHours === 'number' ? error.problem.waitingPeriodHours : 168;
        setStep({ name: 'factor', login: input.login, waitingPeriodHours: hours });
        complete.reset();
      }
    },
  });
  const format = useFormat();

  return (
    <div className={styles.narrow}>
      <h1>{t('recovery.title')}</h1>
      <div className={styles.card}>
        {step.name === 'ask' && (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              ask.mutate();
            }}
          >
            <p>{t('recovery.intro')}</p>
            {ask.isError && (
              <Alert>{ask.error instanceof CaptchaMissing ? t('errors.captcha_required') : errorText(ask.error)}</Alert>
            )}
            <TextField
              label={t('recovery.login')}
              autoComplete="username"
              isRequired
              value={login}
              onChange={setLogin}
            />
            <RadioGroup
              label={t('recovery.channel')}
              value={channel}
              onChange={(v) => setChannel(v as Channel)}
              options={[
                { value: 'email', label: t('recovery.byEmail') },
                { value: 'sms', label: t('recovery.bySms') },
              ]}
            />
            <Captcha key={captchaRound} onSolved={setCaptcha} />
            <Button type="submit" isDisabled={ask.isPending}>
              {t('recovery.send')}
            </Button>
          </Form>
        )}
        {step.name === 'code' && (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              complete.mutate({ login: step.login });
            }}
          >
            <Alert tone="ok">{t('recovery.sent')}</Alert>
            {complete.isError && <Alert>{errorText(complete.error)}</Alert>}
            <TextField
              label={t('recovery.code')}
              inputMode="numeric"
              autoComplete="one-time-code"
              isRequired
              maxLength={6}
              value={code}
              onChange={setCode}
            />
            <NewPasswordField
              value={password}
              onChange={setPassword}
              error={fieldError(complete.error, 'newPassword', t('password.refused'))}
            />
            <Button type="submit" isDisabled={complete.isPending}>
              {t('recovery.change')}
            </Button>
          </Form>
        )}
        {step.name === 'factor' && (
          <>
            <Form
              className={styles.form}
              onSubmit={(event) => {
                event.preventDefault();
                complete.mutate({ login: step.login, secondFactor: factorCode });
              }}
            >
              <h2>{t('secondFactor.title')}</h2>
              <p>{t('secondFactor.intro')}</p>
              {complete.isError && <Alert>{errorText(complete.error)}</Alert>}
              <TextField
                label={t('secondFactor.code')}
                description={t('secondFactor.codeHint')}
                autoComplete="one-time-code"
                isRequired
                autoFocus
                value={factorCode}
                onChange={setFactorCode}
              />
              <Button type="submit" isDisabled={complete.isPending}>
                {t('recovery.change')}
              </Button>
            </Form>
            <h2>{t('recovery.noFactorTitle')}</h2>
            <p>{t('recovery.noFactorIntro', { days: Math.round(step.waitingPeriodHours / 24) })}</p>
            <Button
              variant="secondary"
              onPress={() => complete.mutate({ login: step.login, waitingPeriod: true })}
              isDisabled={complete.isPending}
            >
              {t('recovery.noFactorSubmit', { days: Math.round(step.waitingPeriodHours / 24) })}
            </Button>
          </>
        )}
        {step.name === 'waiting' && (
          <Alert tone="ok">{t('recovery.waiting', { at: format.date(step.completesAt) })}</Alert>
        )}
        {step.name === 'done' && (
          <>
            <Alert tone="ok">{t('recovery.done')}</Alert>
            <p>
              <a href="/sign-in">{t('recovery.signIn')}</a>
            </p>
          </>
        )}
      </div>
      {step.name !== 'done' && (
        <p>
          <a href="/sign-in">{t('recovery.back')}</a>
        </p>
      )}
    </div>
  );
}

class CaptchaMissing extends Error {}

export const Route = createLazyRoute('/forgot-password')({ component: ForgotPasswordPage });
