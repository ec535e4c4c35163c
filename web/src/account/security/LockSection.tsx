import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button } from '@shared/ui';
import { ConfirmDialog } from './ConfirmDialog';
import { Section } from './Section';

/** Lock my account, for when someone else may be in it: everything signs out, and only recovery opens it. */
export function LockSection({ onLocked }: { onLocked: () => void }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const [asking, setAsking] = useState(false);
  const lock = useMutation({
    mutationFn: async () => {
      await api.POST('/v1/me/lock');
    },
    onSuccess: onLocked,
  });
  return (
    <Section id="lock" title={t('security.lock.title')}>
      <p>{t('security.lock.intro')}</p>
      {lock.isError && <Alert>{errorText(lock.error)}</Alert>}
      <Button variant="danger" onPress={() => setAsking(true)} isDisabled={lock.isPending}>
        {lock.isPending ? t('security.working') : t('security.lock.button')}
      </Button>
      <ConfirmDialog
        isOpen={asking}
        title={t('security.lock.confirmTitle')}
        confirm={t('security.lock.confirm')}
        onConfirm={() => {
          setAsking(false);
          lock.mutate();
        }}
        onCancel={() => setAsking(false)}
      >
        <ul>
          <li>{t('security.lock.effectSessions')}</li>
          <li>{t('security.lock.effectApps')}</li>
          <li>{t('security.lock.effectRecovery')}</li>
          <li>{t('security.lock.effectDevices')}</li>
        </ul>
      </ConfirmDialog>
    </Section>
  );
}
