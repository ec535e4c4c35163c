import type { ReactNode } from 'react';
import { CheckboxGroup, FieldError, Label, Text, TextArea, TextField } from 'react-aria-components';
import { styles } from '@shared/ui';
import css from '../admin.module.css';

/** A multi-line field: the console's lists of URIs (one a line) and staff's reasons and notes. */
export function TextAreaField({
  label,
  description,
  error,
  value,
  onChange,
  isRequired,
  name,
}: {
  label: string;
  description?: string;
  error?: string | undefined;
  value: string;
  onChange: (value: string) => void;
  isRequired?: boolean;
  name: string;
}) {
  return (
    <TextField
      className={styles.field}
      value={value}
      onChange={onChange}
      isRequired={isRequired ?? false}
      name={name}
      isInvalid={Boolean(error)}
    >
      <Label className={styles.label}>{label}</Label>
      <TextArea className={css.textarea} />
      {description && (
        <Text slot="description" className={styles.description}>
          {description}
        </Text>
      )}
      <FieldError className={styles.fieldError}>{error}</FieldError>
    </TextField>
  );
}

/** A labelled group of checkboxes (the shared Checkbox, each with its value). */
export function CheckboxList({
  label,
  value,
  onChange,
  children,
}: {
  label: string;
  value: string[];
  onChange: (value: string[]) => void;
  children: ReactNode;
}) {
  return (
    <CheckboxGroup className={styles.field} value={value} onChange={onChange}>
      <Label className={styles.label}>{label}</Label>
      <div className={styles.radioGroup}>{children}</div>
    </CheckboxGroup>
  );
}

/** The lines of a text area, trimmed, without empty ones. */
export const linesOf = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** A table that may scroll sideways on a phone: a named region the keyboard can reach and scroll. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard (WCAG 2.1.1)
    <section className={css.tableWrap} tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}
