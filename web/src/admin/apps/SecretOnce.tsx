import { useTranslation } from 'react-i18next';
import { Alert, styles } from '../../shared/ui';
import css from '../admin.module.css';

/** A secret the server shows once: said plainly, and selectable to copy. */
export function SecretOnce({ label, secret }: { label: string; secret: string }) {
  const { t } = useTranslation();
  return (
    <div className={styles.form}>
      <Alert tone="warning">{t('admin.secretOnce')}</Alert>
      <p className={styles.label} id="secret-label">{label}</p>
      <p className={css.secret} aria-labelledby="secret-label" data-testid="secret">{secret}</p>
    </div>
  );
}
