import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Alert, Button, styles } from '@shared/ui';
import css from './security.module.css';

/**
 * A new set of recovery codes, shown this once: the server keeps only their hashes. Copy and download
 * let the person put them somewhere safe before the page forgets them.
 */
export function CodesShownOnce({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState<'yes' | 'no' | undefined>(undefined);
  const text = `${t('security.codes.fileTitle')}\n\n${codes.join('\n')}\n`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <div className={styles.form}>
      <Alert tone="warning">{t('security.codes.once')}</Alert>
      <ol className={css.codes} aria-label={t('security.codes.listLabel')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className={styles.actions}>
        <Button variant="secondary" onPress={() => void copy()}>
          {t('security.codes.copy')}
        </Button>
        <a
          className={css.download}
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
          download="lanyard-recovery-codes.txt"
        >
          {t('security.codes.download')}
        </a>
        <Button onPress={onDone}>{t('security.codes.saved')}</Button>
      </div>
      {copied && (
        <Alert tone={copied === 'yes' ? 'ok' : 'error'}>
          {t(copied === 'yes' ? 'security.codes.copied' : 'security.codes.copyFailed')}
        </Alert>
      )}
    </div>
  );
}
