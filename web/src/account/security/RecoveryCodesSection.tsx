import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import { CodesShownOnce } from './CodesShownOnce';
import { ConfirmDialog } from './ConfirmDialog';
import { securityChanged } from './queries';
import { Section } from './Section';

/** Recovery codes: how many are left, a warning when few are, and a new set (shown once) on request. */
export function RecoveryCodesSection({
  remaining,
  low,
  twoStep,
}: {
  remaining: number;
  low: boolean;
  twoStep: boolean;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const renew = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/me/recovery-codes')).codes,
    onSuccess: async (fresh) => {
      setCodes(fresh);
      await securityChanged(queryClient);
    },
  });
  return (
    <Section id="recovery-codes" title={t('security.codes.title')}>
      <p>{t('security.codes.intro')}</p>
      {codes ? (
        <CodesShownOnce codes={codes} onDone={() => setCodes(undefined)} />
      ) : (
        <>
          <p>
            <strong>{t('security.codes.remaining', { count: remaining })}</strong>
          </p>
          {twoStep && low && <Alert tone="warning">{t('security.codes.low')}</Alert>}
          {!twoStep && <p className={styles.muted}>{t('security.codes.withTwoStep')}</p>}
          {renew.isError && <Alert>{errorText(renew.error)}</Alert>}
          {twoStep && (
            <div className={styles.actions}>
              <Button
                variant={low ? 'primary' : 'secondary'}
                onPress={() => setAsking(true)}
                isDisabled={renew.isPending}
              >
                {renew.isPending ? t('security.working') : t('security.codes.renew')}
              </Button>
            </div>
          )}
        </>
      )}
      <ConfirmDialog
        isOpen={asking}
        title={t('security.codes.renewTitle')}
        confirm={t('security.codes.renewConfirm')}
        onConfirm={() => {
          setAsking(false);
          renew.mutate();
        }}
        onCancel={() => setAsking(false)}
      >
        <p>{t('security.codes.renewWarning')}</p>
      </ConfirmDialog>
    </Section>
  );
}
