// The portal's controls made of the browser's own elements, in the same styles and design tokens, with
// no React Aria: what the sign-in page (its own entry, JavaScript budget 100 KiB) renders. base.tsx
// re-exports the ones every page shares.
import { type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, useEffect, useId } from 'react';
import { isLanguage, LANGUAGES, type Language } from '../i18n/language';
import styles from './ui.module.css';

export { styles };

/** A message the page shows after an action; errors are announced to screen readers. */
export function Alert({ children, tone = 'error' }: { children: ReactNode; tone?: 'error' | 'ok' | 'warning' }) {
  const className = tone === 'error' ? styles.alert : tone === 'ok' ? styles.notice : styles.warning;
  return (
    <div role={tone === 'error' ? 'alert' : 'status'} className={className}>
      {children}
    </div>
  );
}

/** The document's title: the page's name, then the product's. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Lanyard`;
  }, [title]);
}

export function NativeButton({
  variant = 'primary',
  type = 'button',
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' }) {
  return <button {...props} type={type} className={styles.button} data-variant={variant} />;
}

/** A labelled text input, its hint tied to it (aria-describedby). */
export function NativeTextField({
  label,
  description,
  onValueChange,
  ...input
}: Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'className' | 'id'> & {
  label: string;
  description?: string;
  onValueChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className={styles.field}>
      <label className={styles.label} htmlFor={id}>
        {label}
      </label>
      <input
        {...input}
        id={id}
        className={styles.input}
        aria-describedby={description ? `${id}-description` : undefined}
        onChange={(event) => onValueChange(event.target.value)}
      />
      {description && (
        <span id={`${id}-description`} className={styles.description}>
          {description}
        </span>
      )}
    </div>
  );
}

/** The header's language picker (every page's shell): a native select, the names each in its own language. */
export function LanguageSelect({
  label,
  value,
  nameOf,
  onChange,
}: {
  label: string;
  value: string;
  nameOf: (language: Language) => string;
  onChange: (language: Language) => void;
}) {
  return (
    <div className={styles.languages}>
      <label htmlFor="language" className={styles.description}>
        {label}
      </label>
      <select
        id="language"
        className={styles.select}
        value={value}
        onChange={(event) => {
          if (isLanguage(event.target.value)) onChange(event.target.value);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {nameOf(language)}
          </option>
        ))}
      </select>
    </div>
  );
}
