import type { ReactNode } from 'react';
import {
  Checkbox as AriaCheckbox,
  Label,
  Meter as AriaMeter,
  Radio as AriaRadio,
  RadioGroup as AriaRadioGroup,
  type CheckboxProps,
  type RadioGroupProps,
} from 'react-aria-components';
import styles from './ui.module.css';

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
