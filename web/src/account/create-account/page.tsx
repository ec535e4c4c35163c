import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { fieldError, isLanguage, useErrorText } from '@shared/i18n';
import { Alert, Button, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { NewPasswordField } from '@shared/ui/PasswordField';
import { sessionChanged } from '../../shell/session';

type Channel = 'email' | 'phone';
/** The flow: the address, then the code it received with the new password. */
type Step = { name: 'address' } | { name: 'code'; channel: Channel; address: string };

function CreateAccountPage() {
  const { t, i18n } = useTranslation();
  usePageTitle(t('signUp.title'));
  const errorText = useErrorText();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ name: 'address' });
  const [channel, setChannel] = useState<Channel>('email');
  const [address, setAddress] = useState('');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const locale = isLanguage(i18n.language) ? i18n.language : 'en';

  const addressBody = (c: Channel, value: string) =>
    c === 'email' ? { email: value.trim() } : { phone: value.replace(/[\s-]/g, '') };

  const sendCode = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/signup', { body: { ...addressBody(channel, address), locale } })),
    onSuccess: () => setStep({ name: 'code', channel, address: address.trim() }),
  });
  const complete = useMutation({
    mutationFn: async (s: Extract<Step, { name: 'code' }>) =>
      ok(
        await api.POST('/v1/signup/complete', {
          body: {
            ...addressBody(s.channel, s.address),
            code: code.trim(),
            password,
            ...(name.trim() ? { name: name.trim() } : {}),
            kind: 'web',
            locale,
          },
        }),
      ),
    onSuccess: async () => {
      await sessionChanged(queryClient);
      await navigate({ to: '/' });
    },
  });

  return (
    <div className={styles.narrow}>
      <h1>{t('signUp.title')}</h1>
      <div className={styles.card}>
        {step.name === 'address' ? (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              sendCode.mutate();
            }}
          >
            {sendCode.isError && <Alert>{errorText(sendCode.error)}</Alert>}
            <RadioGroup
              label={t('signUp.with')}
              value={channel}
              onChange={(v) => setChannel(v as Channel)}
              options={[
                { value: 'email', label: t('signUp.email') },
                { value: 'phone', label: t('signUp.phone') },
              ]}
            />
            {channel === 'email' ? (
              <TextField
                key="email"
                label={t('signUp.email')}
                type="email"
                autoComplete="email"
                isRequired
                value={address}
                onChange={setAddress}
                error={fieldError(sendCode.error, 'email', t('signUp.badEmail'))}
              />
            ) : (
              <TextField
                key="phone"
                label={t('signUp.phone')}
                type="tel"
                autoComplete="tel"
                isRequired
                value={address}
                onChange={setAddress}
                description={t('signUp.phoneHint')}
                error={fieldError(sendCode.error, 'phone', t('signUp.badPhone'))}
              />
            )}
            <Button type="submit" isDisabled={sendCode.isPending}>
              {t('signUp.sendCode')}
            </Button>
          </Form>
        ) : (
          <Form
            className={styles.form}
            onSubmit={(event) => {
              event.preventDefault();
              complete.mutate(step);
            }}
          >
            <Alert tone="ok">
              {t(step.channel === 'email' ? 'signUp.codeSentEmail' : 'signUp.codeSentPhone', { address: step.address })}
            </Alert>
            {complete.isError && <Alert>{errorText(complete.error)}</Alert>}
            <TextField
              label={t('signUp.code')}
              inputMode="numeric"
              autoComplete="one-time-code"
              isRequired
              value={code}
              onChange={setCode}
              maxLength={6}
            />
            <TextField label={t('signUp.name')} autoComplete="name" value={name} onChange={setName} maxLength={100} />
            <NewPasswordField
              value={password}
              onChange={setPassword}
              error={fieldError(complete.error, 'password', t('password.refused'))}
            />
            <div className={styles.actions}>
              <Button type="submit" isDisabled={complete.isPending}>
                {t('signUp.create')}
              </Button>
              <Button
                variant="secondary"
                onPress={() => {
                  setStep({ name: 'address' });
                  setCode('');
                  complete.reset();
                }}
              >
                {t('signUp.changeAddress')}
              </Button>
            </div>
          </Form>
        )}
      </div>
      <p>
        {t('signUp.haveAccount')} <a href="/sign-in">{t('signUp.signIn')}</a>
      </p>
    </div>
  );
}

export const Route = createLazyRoute('/create-account')({ component: CreateAccountPage });
