import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, Link } from '@tanstack/react-router';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, TextField, styles, usePageTitle } from '@shared/ui';

/** Is this device locked? A serial in, locked or not (with the owner's masked address) out. */
function CheckDevicePage() {
  const { t } = useTranslation();
  usePageTitle(t('checkDevice.title'));
  const errorText = useErrorText();
  const [serial, setSerial] = useState('');
  const check = useMutation({
    mutationFn: async (value: string) => ({
      serial: value,
      ...ok(await api.GET('/v1/activation/{serial}', { params: { path: { serial: value } } })),
    }),
  });
  const result = check.data;
  // The serial is the only thing sent: a refusal of its form is about that field.
  const badSerial =
    check.error instanceof ApiError && check.error.code === 'validation_failed'
      ? t('checkDevice.badSerial')
      : undefined;

  return (
    <div className={styles.narrow}>
      <h1>{t('checkDevice.title')}</h1>
      <div className={styles.card}>
        <Form
          className={styles.form}
          validationBehavior="aria"
          onSubmit={(event) => {
            event.preventDefault();
            check.mutate(serial.trim());
          }}
        >
          <p>{t('checkDevice.intro')}</p>
          <TextField
            label={t('checkDevice.serial')}
            description={t('checkDevice.serialHint')}
            isRequired
            autoComplete="off"
            value={serial}
            onChange={(value) => {
              setSerial(value);
              if (check.isError) check.reset();
            }}
            error={badSerial}
          />
          <Button type="submit" isDisabled={check.isPending}>
            {check.isPending ? t('checkDevice.checking') : t('checkDevice.submit')}
          </Button>
        </Form>
      </div>
      <div aria-live="polite">
        {check.isError && !badSerial && <Alert>{errorText(check.error)}</Alert>}
        {result && !result.locked && <Alert tone="ok">{t('checkDevice.notLocked', { serial: result.serial })}</Alert>}
        {result?.locked && (
          <div className={styles.card}>
            <Alert tone="warning">{t('checkDevice.locked', { serial: result.serial })}</Alert>
            {result.ownerHint && <p>{t('checkDevice.ownerHint', { hint: result.ownerHint })}</p>}
            <p>{t('checkDevice.whatNow')}</p>
            <p>
              <Link to="/unlock" search={{ serial: result.serial }}>
                {t('checkDevice.requestUnlock')}
              </Link>
            </p>
          </div>
        )}
      </div>
    </div>
  );
}

export const Route = createLazyRoute('/check-device')({ component: CheckDevicePage });
