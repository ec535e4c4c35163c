import { useEffect } from 'react';
import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  Checkbox as AriaCheckbox,
  FieldError,
  Input,
  Label,
  Meter as AriaMeter,
  Radio as AriaRadio,
  RadioGroup as AriaRadioGroup,
  Text,
  TextField as AriaTextField,
  type ButtonProps as AriaButtonProps,
  type CheckboxProps,
  type RadioGroupProps,
  type TextFieldProps as AriaTextFieldProps,
} from 'react-aria-components';
import styles from './ui.module.css';

export { styles };

export function Button({
  variant = 'primary',
  ...props
}: AriaButtonProps & { variant?: 'primary' | 'secondary' | 'danger' }) {
  return <AriaButton {...props} className={styles.button} data-variant={variant} />;
}

export interface TextFieldProps extends Omit<AriaTextFieldProps, 'children'> {
  label: string;
  description?: string;
  /** An error from the server for this field (already translated). */
  error?: string | undefined;
  placeholder?: string;
}

export function TextField({ label, description, error, placeholder, ...props }: TextFieldProps) {
  return (
    <AriaTextField {...props} className={styles.field} isInvalid={error ? true : props.isInvalid}>
      <Label className={styles.label}>{label}</Label>
      <Input className={styles.input} placeholder={placeholder} />
      {description && (
        <Text slot="description" className={styles.description}>
          {description}
        </Text>
      )}
      <FieldError className={styles.fieldError}>{error}</FieldError>
    </AriaTextField>
  );
}

export function Checkbox({ children, ...props }: Omit<CheckboxProps, 'children'> & { children: ReactNode }) {
  return (
    <AriaCheckbox {...props} className={styles.checkbox}>
      {({ isSelected }) => (
        <>
          <span className={styles.box} aria-hidden="true">
            {isSelected ? '✓' : ''}
          </span>
          <span>{children}</span>
        </>
      )}
    </AriaCheckbox>
  );
}

export function RadioGroup({
  label,
  options,
  ...props
}: Omit<RadioGroupProps, 'children'> & { label: string; options: { value: string; label: string }[] }) {
  return (
    <AriaRadioGroup {...props} className={styles.field}>
      <Label className={styles.label}>{label}</Label>
      <div className={styles.radioGroup}>
        {options.map((option) => (
          <AriaRadio key={option.value} value={option.value} className={styles.radio}>
            <span className={styles.dot} aria-hidden="true" />
            {option.label}
          </AriaRadio>
        ))}
      </div>
    </AriaRadioGroup>
  );
}

export function Meter({
  label,
  value,
  maxValue,
  valueText,
  level,
}: {
  label: string;
  value: number;
  maxValue: number;
  valueText: string;
  level: number;
}) {
  return (
    <AriaMeter value={value} minValue={0} maxValue={maxValue} valueLabel={valueText} className={styles.meter}>
      {({ percentage, valueText: text }) => (
        <>
          <div className={styles.row}>
            <Label className={styles.description}>{label}</Label>
            <span className={styles.description}>{text}</span>
          </div>
          <div className={styles.meterTrack}>
            <div className={styles.meterFill} data-level={level} style={{ width: `${percentage}%` }} />
          </div>
        </>
      )}
    </AriaMeter>
  );
}

/** A message the page shows after an action; errors are announced to screen readers. */
export function Alert({ children, tone = 'error' }: { children: ReactNode; tone?: 'error' | 'ok' | 'warning' }) {
  const className = tone === 'error' ? styles.alert : tone === 'ok' ? styles.notice : styles.warning;
  return (
    <div role={tone === 'error' ? 'alert' : 'status'} className={className}>
      {children}
    </div>
  );
}

export function Card({
  children,
  title,
  headingLevel = 2,
}: {
  children: ReactNode;
  title?: string;
  headingLevel?: 2 | 3;
}) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <section className={styles.card}>
      {title && <Heading>{title}</Heading>}
      {children}
    </section>
  );
}

/** The document's title: the page's name, then the product's. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Lanyard`;
  }, [title]);
}
