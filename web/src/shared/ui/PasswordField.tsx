import { useTranslation } from 'react-i18next';
import { passwordStrength } from '../password-strength';
import { Meter, TextField } from './index';

/** A new password with its strength meter (the meter reads the same label to screen readers). */
export function NewPasswordField({
  value,
  onChange,
  error,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
  label?: string;
}) {
  const { t } = useTranslation();
  const level = passwordStrength(value);
  return (
    <>
      <TextField
        label={label ?? t('password.new')}
        type="password"
        autoComplete="new-password"
        isRequired
        minLength={8}
        maxLength={128}
        value={value}
        onChange={onChange}
        description={t('password.rules')}
        error={error}
      />
      <Meter
        label={t('password.strength')}
        value={level}
        maxValue={4}
        level={level}
        valueText={t(`password.levels.${level}`)}
      />
    </>
  );
}
