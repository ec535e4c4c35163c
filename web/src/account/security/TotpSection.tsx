import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ok } from '@shared/api/client';
import { useErrorText } from '@shared/i18n';
import { Alert, Button, TextField, styles } from '@shared/ui';
import { CodesShownOnce } from './CodesShownOnce';
import { ConfirmDialog } from './ConfirmDialog';
import { securityChanged } from './queries';
import { Section } from './Section';
import css from './security.module.css';

/**
 * The QR code is SVG made by our own server; shown as an image (never inserted as markup) so that nothing
 * in it can run or reach the page, whatever it holds.
 */
function qrImageSource(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The secret in groups of four, easier to type into an app by hand. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/** Authenticator app: start (QR + secret), confirm with a first code, the recovery codes once, remove. */
export function TotpSection({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>(undefined);
  const [asking, setAsking] = useState(false);

  const start = useMutation({ mutationFn: async () => ok(await api.POST('/v1/me/totp')) });
  const confirm = useMutation({
    mutationFn: async () => ok(await api.POST('/v1/me/totp/confirm', { body: { code: code.replace(/\s/g, '') } })),
    onSuccess: async (answer) => {
      start.reset();
      setCode('');
      setCodes(answer.recoveryCodes);
      await securityChanged(queryClient);
    },
  });
  const remove = useMutation({
    mutationFn: async () => {
      await api.DELETE('/v1/me/totp');
    },
    onSuccess: () => securityChanged(queryClient),
  });

  const enrolment = start.data;
  return (
    <Section id="authenticator" title={t('security.totp.title')}>
      <p>{t('security.totp.intro')}</p>
      {codes && <CodesShownOnce codes={codes} onDone={() => setCodes(undefined)} />}
      {confirm.isSuccess && !codes && <Alert tone="ok">{t('security.totp.on')}</Alert>}
      {remove.isError && <Alert>{errorText(remove.error)}</Alert>}
      {remove.isSuccess && !enabled && <Alert tone="ok">{t('security.totp.removed')}</Alert>}
      {enabled && !codes && (
        <div className={styles.actions}>
          <span className={styles.badge}>{t('security.on')}</span>
          <Button variant="secondary" onPress={() => setAsking(true)} isDisabled={remove.isPending}>
            {remove.isPending ? t('security.working') : t('security.totp.remove')}
          </Button>
        </div>
      )}
      {!enabled && !enrolment && (
        <div className={styles.form}>
          {start.isError && <Alert>{errorText(start.error)}</Alert>}
          <div className={styles.actions}>
            <Button onPress={() => start.mutate()} isDisabled={start.isPending}>
              {start.isPending ? t('security.working') : t('security.totp.start')}
            </Button>
          </div>
        </div>
      )}
      {!enabled && enrolment && (
        <Form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            confirm.mutate();
          }}
        >
          <ol className={css.steps}>
            <li>{t('security.totp.step1')}</li>
            <li>
              {t('security.totp.step2')}
              <img
                className={css.qr}
                src={qrImageSource(enrolment.qrSvg)}
                alt={t('security.totp.qrAlt')}
                width={200}
                height={200}
              />
              <span className={styles.description}>{t('security.totp.manual')}</span>
              <code className={css.secret}>{grouped(enrolment.secret)}</code>
            </li>
            <li>{t('security.totp.step3')}</li>
          </ol>
          {confirm.isError && <Alert>{errorText(confirm.error)}</Alert>}
          <TextField
            label={t('security.totp.code')}
            description={t('security.totp.codeHint')}
            inputMode="numeric"
            autoComplete="one-time-code"
            isRequired
            value={code}
            onChange={setCode}
          />
          <div className={styles.actions}>
            <Button type="submit" isDisabled={confirm.isPending}>
              {confirm.isPending ? t('security.working') : t('security.totp.confirm')}
            </Button>
            <Button
              variant="secondary"
              onPress={() => {
                start.reset();
                confirm.reset();
                setCode('');
              }}
            >
              {t('security.cancel')}
            </Button>
          </div>
        </Form>
      )}
      <ConfirmDialog
        isOpen={asking}
        title={t('security.totp.removeTitle')}
        confirm={t('security.totp.removeConfirm')}
        onConfirm={() => {
          setAsking(false);
          remove.mutate();
        }}
        onCancel={() => setAsking(false)}
      >
        <p>{t('security.totp.removeWarning')}</p>
      </ConfirmDialog>
    </Section>
  );
}
