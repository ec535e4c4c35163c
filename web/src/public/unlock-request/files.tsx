import { useState } from 'react';
import { FileTrigger, Label, ProgressBar } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useErrorText, useFormat } from '@shared/i18n';
import { Alert, Button, styles } from '@shared/ui';
import css from './unlock.module.css';
import { MAX_PROOF_BYTES, MAX_PROOFS, PROOF_TYPES, uploadProof } from './upload';

interface Progress {
  index: number;
  name: string;
  fraction: number;
}

interface Failure {
  name: string;
  error: unknown;
}

/**
 * The proof files a requester chose, and their upload to a request, one after the other, with the
 * progress of the one on its way. Files are checked here only to spare a useless upload: the server
 * decides what they are by their bytes.
 */
export function useProofFiles() {
  const { t } = useTranslation();
  const [files, setFiles] = useState<File[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const [progress, setProgress] = useState<Progress>();

  const pick = (list: FileList | null) => {
    const refusals: string[] = [];
    const kept = [...files];
    for (const file of list ?? []) {
      if (!(PROOF_TYPES as readonly string[]).includes(file.type))
        refusals.push(t('unlock.files.badType', { name: file.name }));
      else if (file.size > MAX_PROOF_BYTES) refusals.push(t('unlock.files.tooLarge', { name: file.name }));
      else if (kept.length >= MAX_PROOFS) refusals.push(t('unlock.files.tooMany', { count: MAX_PROOFS }));
      else kept.push(file);
    }
    setFiles(kept);
    setRefused(refusals);
  };

  const remove = (file: File) => setFiles(files.filter((f) => f !== file));

  /** Sends every chosen file to the request; a failure is kept with its file, and the others still go. */
  const uploadAll = async (id: string, token: string): Promise<{ attached: number; failed: Failure[] }> => {
    const failed: Failure[] = [];
    let attached = 0;
    for (const [index, file] of files.entries()) {
      setProgress({ index, name: file.name, fraction: 0 });
      try {
        await uploadProof({ path: { id }, header: { 'x-status-token': token } }, file, (fraction) =>
          setProgress({ index, name: file.name, fraction }),
        );
        attached += 1;
      } catch (error) {
        failed.push({ name: file.name, error });
      }
    }
    setProgress(undefined);
    return { attached, failed };
  };

  return { files, refused, progress, pick, remove, uploadAll, clear: () => setFiles([]) };
}

type ProofFiles = ReturnType<typeof useProofFiles>;

/** The picker (a button that opens the system's file chooser) and the list chosen, each with a way to remove it. */
export function ProofFilePicker({ proofs, optional = true }: { proofs: ProofFiles; optional?: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { files, refused } = proofs;
  return (
    <fieldset className={css.files}>
      <legend className={styles.label}>{optional ? t('unlock.files.label') : t('unlock.files.labelAdd')}</legend>
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
                onPress={() => proofs.remove(file)}
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
        <FileTrigger acceptedFileTypes={[...PROOF_TYPES]} allowsMultiple onSelect={proofs.pick}>
          <Button variant="secondary" aria-describedby="proof-files-hint">
            {files.length === 0 ? t('unlock.files.choose') : t('unlock.files.chooseMore')}
          </Button>
        </FileTrigger>
      )}
    </fieldset>
  );
}

/** How far the file on its way went: a real progress bar, named by the file, with its percentage. */
export function UploadProgress({ progress, total }: { progress: Progress; total: number }) {
  const { t } = useTranslation();
  return (
    <ProgressBar
      className={css.progress}
      value={progress.fraction * 100}
      valueLabel={t('unlock.files.percent', { percent: Math.round(progress.fraction * 100) })}
    >
      {({ percentage, valueText }) => (
        <>
          <div className={css.progressLabels}>
            <Label>{t('unlock.files.uploading', { name: progress.name, n: progress.index + 1, total })}</Label>
            <span className={styles.description}>{valueText}</span>
          </div>
          <div className={css.progressTrack}>
            <div className={css.progressFill} style={{ width: `${percentage ?? 0}%` }} />
          </div>
        </>
      )}
    </ProgressBar>
  );
}

/** The files that could not be attached, each with the server's reason. */
export function UploadFailures({ failed, afterRequest = true }: { failed: Failure[]; afterRequest?: boolean }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  if (failed.length === 0) return null;
  return (
    <Alert tone="warning">
      {afterRequest ? t('unlock.files.someFailed') : t('unlock.files.failed')}
      <ul>
        {failed.map((failure) => (
          <li key={failure.name}>
            {failure.name}: {errorText(failure.error)}
          </li>
        ))}
      </ul>
    </Alert>
  );
}
