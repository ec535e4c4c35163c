import type { ReactNode } from 'react';
import { styles } from '@shared/ui';

/** A card of the security page whose heading the checkup's links jump to (and move the focus to). */
export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className={styles.card} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}
