import { useMutation } from '@tanstack/react-query';
import { createLazyRoute, Link, useSearch } from '@tanstack/react-router';
import { useState } from 'react';
import {
  FieldError,
  FileTrigger,
  Form,
  Label,
  ProgressBar,
  Text,
  TextArea,
  TextField as AriaTextField,
} from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, ApiError, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';
import { isLanguage, useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, RadioGroup, TextField, styles, usePageTitle } from '@shared/ui';
import { Captcha } from '@shared/ui/Captcha';
import css from './unlock.module.css';
import { MAX_PROOF_BYTES, MAX_PROOFS, PROOF_TYPES, uploadProof } from './upload';

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
  const [files, setFiles] = useState<File[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const [progress, setProgress] = useState<{ index: number; name: string; fraction: number }>();

  // Files are checked here only to spare a useless upload; the server decides by their bytes.
  const pick = (list: FileList | null) => {
    const picked = [...(list ?? [])];
    const refusals: string[] = [];
    const kept = [...files];
    for (const file of picked) {
      if (!(PROOF_TYPES as readonly string[]).includes(file.type))
        refusals.push(t('unlock.files.badType', { name: file.name }));
      else if (file.size > MAX_PROOF_BYTES) refusals.push(t('unlock.files.tooLarge', { name: file.name }));
      else if (kept.length >= MAX_PROOFS) refusals.push(t('unlock.files.tooMany', { count: MAX_PROOFS }));
      else kept.push(file);
    }
    setFiles(kept);
    setRefused(refusals);
  };

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
      const failed: Array<{ name: string; error: unknown }> = [];
      let attached = 0;
      for (const [index, file] of files.entries()) {
        setProgress({ index, name: file.name, fraction: 0 });
        try {
          await uploadProof(
            { path: { id: created.id }, header: { 'x-status-token': created.statusToken } },
            file,
            (fraction) => setProgress({ index, name: file.name, fraction }),
          );
          attached += 1;
        } catch (error) {
          failed.push({ name: file.name, error });
        }
      }
      setProgress(undefined);
      return { ...created, attached, failed };
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
          {created.failed.length > 0 && (
            <Alert tone="warning">
              {t('unlock.files.someFailed')}
              <ul>
                {created.failed.map((failure) => (
                  <li key={failure.name}>
                    {failure.name}: {errorText(failure.error)}
                  </li>
                ))}
              </ul>
            </Alert>
          )}
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
          <ProofFiles
            files={files}
            refused={refused}
            onPick={pick}
            onRemove={(file) => setFiles(files.filter((f) => f !== file))}
          />
          <Captcha key={captchaRound} onSolved={setCaptcha} />
          {progress && (
            <ProgressBar
              className={css.progress}
              value={progress.fraction * 100}
              valueLabel={t('unlock.files.percent', { percent: Math.round(progress.fraction * 100) })}
            >
              {({ percentage, valueText }) => (
                <>
                  <div className={css.progressLabels}>
                    <Label>
                      {t('unlock.files.uploading', {
                        name: progress.name,
                        n: progress.index + 1,
                        total: files.length,
                      })}
                    </Label>
                    <span className={styles.description}>{valueText}</span>
                  </div>
                  <div className={css.progressTrack}>
                    <div className={css.progressFill} style={{ width: `${percentage ?? 0}%` }} />
                  </div>
                </>
              )}
            </ProgressBar>
          )}
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

/** The proof files to send with the request: a picker (keyboard and screen-reader friendly), and the list chosen. */
function ProofFiles({
  files,
  refused,
  onPick,
  onRemove,
}: {
  files: File[];
  refused: string[];
  onPick: (list: FileList | null) => void;
  onRemove: (file: File) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <fieldset className={css.files}>
      <legend className={styles.label}>{t('unlock.files.label')}</legend>
      <p className={styles.description} id="proof-files-hint">
        {t('unlock.files.hint', { count: MAX_PROOFS })}
      </p>
      {files.length > 0 && (
        <ul className={css.fileList} aria-label={t('unlock.files.chosen')}>
          {files.map((file) => (
            <li key={`${file.name}-${file.size}-${file.lastModified}`} className={css.fileRow}>
              <span className={css.fileName}>{file.name}</span>
              <span className={styles.description}>{format.bytes(file.size)}</span>
              <Button
                variant="secondary"
                aria-label={t('unlock.files.remove', { name: file.name })}
                onPress={() => onRemove(file)}
              >
                {t('unlock.files.removeShort')}
              </Button>
            </li>
          ))}
        </ul>
      )}
      {refused.length > 0 && (
        <div role="alert" className={styles.fieldError}>
          {refused.map((reason) => (
            <p key={reason}>{reason}</p>
          ))}
        </div>
      )}
      {files.length < MAX_PROOFS && (
        <FileTrigger acceptedFileTypes={[...PROOF_TYPES]} allowsMultiple onSelect={onPick}>
          <Button variant="secondary" aria-describedby="proof-files-hint">
            {files.length === 0 ? t('unlock.files.choose') : t('unlock.files.chooseMore')}
          </Button>
        </FileTrigger>
      )}
    </fieldset>
  );
}

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
