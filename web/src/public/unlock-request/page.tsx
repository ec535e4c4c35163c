import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import { FieldError, Form, Label, Text, TextArea, TextField as AriaTextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';
import { isLanguage, useErrorText } from '@shared/i18n';
import { Alert, Button, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { Captcha } from '@shared/ui/Captcha';
import { ProofFilePicker, UploadFailures, UploadProgress, useProofFiles } from './files';

type ProofKind = components['schemas']['UnlockRequestBody']['proof']['kind'];
const KINDS: ProofKind[] = ['receipt', 'invoice', 'carrier_contract', 'warranty_card', 'other'];

/** The unlock request form: the serial, where to answer, the proof, the captcha; then the status link, once. */
function UnlockRequestPage() {
  const { t, i18n } = useTranslation();
  usePageTitle(t('unlock.title'));
  const errorText = useErrorText();
  const search = useSearch({ from: '/unlock' });
  const [serial, setSerial] = useState(search.serial ?? '');
  const [email, setEmail] = useState('');
  const [kind, setKind] = useState<ProofKind>('receipt');
  const [proof, setProof] = useState('');
  const [captcha, setCaptcha] = useState<string>();
  const [captchaRound, setCaptchaRound] = useState(0);
  const proofs = useProofFiles();

  const send = useMutation({
    mutationFn: async () => {
      if (!captcha) throw new CaptchaMissing();
      const text = proof.trim();
      const created = ok(
        await api.POST('/v1/unlock-requests', {
          body: {
            serial: serial.trim(),
            contact: { email: email.trim() },
            proof: { kind, ...(text ? { text } : {}) },
            captcha,
            ...(isLanguage(i18n.language) ? { locale: i18n.language } : {}),
          },
        }),
      );
      // The request exists now: a file that fails to upload is told on the next screen, not retried.
      const sent = await proofs.uploadAll(created.id, created.statusToken);
      return { ...created, ...sent };
    },
    // A captcha payload is accepted once: a refused request needs a new one.
    onError: () => {
      setCaptcha(undefined);
      setCaptchaRound((n) => n + 1);
    },
  });

  // What the server refused is shown until the person changes something.
  const edit = (set: (value: string) => void) => (value: string) => {
    set(value);
    if (send.isError) send.reset();
  };

  if (send.isSuccess) {
    const created = send.data;
    return (
      <div className={styles.narrow}>
        <h1>{t('unlock.sentTitle')}</h1>
        <div className={styles.card}>
          <Alert tone="ok">{t('unlock.sent', { email: email.trim() })}</Alert>
          {created.attached > 0 && <p>{t('unlock.files.attached', { count: created.attached })}</p>}
          <UploadFailures failed={created.failed} />
          <p>{t('unlock.keepLink')}</p>
          <p>
            <Link to="/unlock/$requestId" params={{ requestId: created.id }} hash={`token=${created.statusToken}`}>
              {t('unlock.statusLink')}
            </Link>
          </p>
        </div>
      </div>
    );
  }

  const proofError = onField(send.error, 'proof.text', t('unlock.proofRequired'));
  return (
    <div className={styles.narrow}>
      <h1>{t('unlock.title')}</h1>
      <div className={styles.card}>
        <Form
          className={styles.form}
          validationBehavior="aria"
          onSubmit={(event) => {
            event.preventDefault();
            send.mutate();
          }}
        >
          <p>{t('unlock.intro')}</p>
          {send.isError && (
            <Alert>{send.error instanceof CaptchaMissing ? t('errors.captcha_required') : errorText(send.error)}</Alert>
          )}
          <TextField
            label={t('checkDevice.serial')}
            description={t('checkDevice.serialHint')}
            isRequired
            autoComplete="off"
            value={serial}
            onChange={edit(setSerial)}
            error={onField(send.error, 'serial', t('checkDevice.badSerial'))}
          />
          <TextField
            label={t('unlock.email')}
            description={t('unlock.emailHint')}
            type="email"
            autoComplete="email"
            isRequired
            value={email}
            onChange={edit(setEmail)}
            error={onField(send.error, 'contact.email', t('signUp.badEmail'))}
          />
          <RadioGroup
            label={t('unlock.proofKind')}
            value={kind}
            onChange={(value) => setKind(value as ProofKind)}
            options={KINDS.map((value) => ({ value, label: t(`unlock.kinds.${value}`) }))}
          />
          <AriaTextField
            className={styles.field}
            value={proof}
            onChange={edit(setProof)}
            isRequired={kind === 'other'}
            isInvalid={proofError !== undefined}
            maxLength={2000}
          >
            <Label className={styles.label}>
              {kind === 'other' ? t('unlock.proofText') : t('unlock.proofTextOptional')}
            </Label>
            <TextArea className={styles.input} rows={4} />
            <Text slot="description" className={styles.description}>
              {t('unlock.proofHint')}
            </Text>
            <FieldError className={styles.fieldError}>{proofError}</FieldError>
          </AriaTextField>
          <ProofFilePicker proofs={proofs} />
          <Captcha key={captchaRound} onSolved={setCaptcha} />
          {proofs.progress && <UploadProgress progress={proofs.progress} total={proofs.files.length} />}
          <Button type="submit" isDisabled={send.isPending}>
            {send.isPending ? t('unlock.sending') : t('unlock.submit')}
          </Button>
        </Form>
      </div>
      <p>
        <Link to="/check-device">{t('unlock.checkFirst')}</Link>
      </p>
    </div>
  );
}

class CaptchaMissing extends Error {}

/** The message for a field the server refused ("/contact/email" from the schema, "body.proof.text" from the rules), else nothing. */
function onField(error: unknown, field: string, message: string): string | undefined {
  if (!(error instanceof ApiError) || error.code !== 'validation_failed') return undefined;
  const named = (path: string) =>
    path
      .replace(/^body[./]?/, '')
      .replace(/^\//, '')
      .replaceAll('/', '.');
  return error.problem.errors?.some((e) => named(e.path) === field) ? message : undefined;
}

export const Route = createLazyRoute('/unlock')({ component: UnlockRequestPage });
