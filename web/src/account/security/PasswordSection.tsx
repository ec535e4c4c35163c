import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '@shared/api/client';
import { fieldError, useErrorText, useFormat } from '@shared/i18n';
import { NewPasswordField } from '@shared/ui/PasswordField';
import { Alert, Button, TextField, styles } from '@shared/ui';
import { securityChanged } from './queries';
import { Section } from './Section';

/** Change password: the current one proves it is the owner typing; every other session ends. */
export function PasswordSection({ changedAt }: { changedAt: string }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const change = useMutation({
    mutationFn: async () => {
      await api.POST('/v1/me/password', { body: { currentPassword, newPassword } });
    },
    onSuccess: async () => {
      setCurrentPassword('');
      setNewPassword('');
      await Promise.all([securityChanged(queryClient), queryClient.invalidateQueries({ queryKey: ['sessions'] })]);
    },
  });
  const wrongCurrent = change.error instanceof ApiError && change.error.code === 'invalid_credentials';
  const refused = fieldError(change.error, 'newPassword', t('password.refused'));
  return (
    <Section id="password" title={t('security.password.title')}>
      <p className={styles.muted}>{t('security.password.changedAt', { when: format.date(changedAt) })}</p>
      <Form
        className={styles.form}
        onSubmit={(event) => {
          event.preventDefault();
          change.mutate();
        }}
      >
        {change.isError && !refused && (
          <Alert>{wrongCurrent ? t('security.password.wrongCurrent') : errorText(change.error)}</Alert>
        )}
        {change.isSuccess && <Alert tone="ok">{t('security.password.changed')}</Alert>}
        <TextField
          label={t('security.password.current')}
          type="password"
          autoComplete="current-password"
          isRequired
          value={currentPassword}
          onChange={setCurrentPassword}
        />
        <NewPasswordField value={newPassword} onChange={setNewPassword} error={refused} />
        <div className={styles.actions}>
          <Button type="submit" isDisabled={change.isPending}>
            {change.isPending ? t('security.working') : t('security.password.submit')}
          </Button>
        </div>
      </Form>
    </Section>
  );
}
