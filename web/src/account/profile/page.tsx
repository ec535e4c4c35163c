import { useMutation, useQueryClient, useSuspenseQuery } from '@tanstack/react-query';
import { createLazyRoute, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, Card, TextField, styles, usePageTitle } from '@shared/ui';
import { meQuery } from '../../shell/session';
import { AddressChange } from './AddressChange';

function ProfilePage() {
  const { t } = useTranslation();
  usePageTitle(t('profile.title'));
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const me = useSuspenseQuery(meQuery).data;
  const [name, setName] = useState(me?.name ?? '');
  const save = useMutation({
    mutationFn: async () => ok(await api.PATCH('/v1/me', { body: { name: name.trim() === '' ? null : name.trim() } })),
    onSuccess: (profile) => queryClient.setQueryData(meQuery.queryKey, profile),
  });
  if (!me) return null;
  return (
    <>
      <h1>{t('profile.title')}</h1>
      <Card title={t('profile.name')}>
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate();
          }}
        >
          {save.isError && <Alert>{errorText(save.error)}</Alert>}
          {save.isSuccess && <Alert tone="ok">{t('profile.saved')}</Alert>}
          <TextField label={t('profile.name')} autoComplete="name" maxLength={100} value={name} onChange={setName} />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={save.isPending}>
              {t('profile.save')}
            </Button>
          </div>
        </Form>
      </Card>
      <Card title={t('profile.addresses')}>
        <div className={styles.form}>
          <AddressChange field="email" current={me.email} />
          <AddressChange field="phone" current={me.phone} />
        </div>
      </Card>
      <Card title={t('nav.deleteAccount')}>
        <p>
          <Link to="/delete-account">{t('deletion.title')}</Link>
        </p>
      </Card>
    </>
  );
}

export const Route = createLazyRoute('/profile')({ component: ProfilePage });
