import { useMutation, useQueryClient } from '@tanstack/react-query';
import { createLazyRoute, Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '../../shared/api/client';
import { useErrorText } from '../../shared/i18n';
import { Alert, Button, TextField, styles, usePageTitle } from '../../shared/ui';
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

  const signIn = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/sessions', { body: { login: login.trim(), password, kind: 'web' } })),
    onSuccess: async () => {
      await sessionChanged(queryClient);
      await navigate({ href: safeNext(search.next) });
    },
  });

  return (
    <div className={styles.narrow}>
      <h1>{t('signIn.title')}</h1>
      {search.signedOut && <Alert tone="ok">{t('signIn.signedOut')}</Alert>}
      <div className={styles.card}>
        <Form className={styles.form} onSubmit={(event) => { event.preventDefault(); signIn.mutate(); }}>
          {signIn.isError && <Alert>{errorText(signIn.error)}</Alert>}
          <TextField label={t('signIn.login')} name="username" autoComplete="username" isRequired value={login} onChange={setLogin} />
          <TextField label={t('signIn.password')} name="password" type="password" autoComplete="current-password" isRequired value={password} onChange={setPassword} />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={signIn.isPending}>{t('signIn.submit')}</Button>
            <Link to="/forgot-password">{t('signIn.forgot')}</Link>
          </div>
        </Form>
      </div>
      <p>{t('signIn.noAccount')} <Link to="/create-account">{t('signIn.create')}</Link></p>
    </div>
  );
}

export const Route = createLazyRoute('/sign-in')({ component: SignInPage });
