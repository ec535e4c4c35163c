import { useTranslation } from 'react-i18next';
import { Alert, styles } from '@shared/ui';
import css from '../admin.module.css';

/** A secret the server shows once: said plainly, and selectable to copy. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  const { t } = useTranslation();
  return (
    <div className={styles.form}>
      <Alert tone="warning">{t('admin.secretOnce')}</Alert>
      <dl className={styles.dl}>
        <dt>{label}</dt>
        <dd className={css.secret} data-testid="secret">
          {secret}
        </dd>
      </dl>
    </div>
  );
}
