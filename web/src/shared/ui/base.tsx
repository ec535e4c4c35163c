import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  FieldError,
  Input,
  Label,
  Text,
  TextField as AriaTextField,
  type ButtonProps as AriaButtonProps,
  type TextFieldProps as AriaTextFieldProps,
} from 'react-aria-components';
import { styles } from './native';

export { Alert, styles, usePageTitle } from './native';

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
