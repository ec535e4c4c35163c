import 'altcha/external';
import 'altcha/altcha.css';
import 'altcha/i18n/en';
import 'altcha/i18n/es-es';
import Pbkdf2Worker from 'altcha/workers/pbkdf2?worker';
import type {} from 'altcha/types/react';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';

// The "external" build keeps its styles and its worker in files of their own, which the CSP allows
// (the default build injects inline styles and a worker from a blob). The server's challenges are
// PBKDF2/SHA-256 (altcha-lib v2).
const registry = (globalThis as unknown as { $altcha?: { algorithms: Map<string, () => Worker> } }).$altcha;
registry?.algorithms.set('PBKDF2/SHA-256', () => new Pbkdf2Worker());

/** The ALTCHA widget on GET /v1/captcha; reports the solved payload (or undefined when it expires). */
export function Captcha({ onSolved }: { onSolved: (payload: string | undefined) => void }) {
  const { i18n } = useTranslation();
  const ref = useRef<HTMLElement>(null);
  const callback = useRef(onSolved);
  callback.current = onSolved;
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const listener = (event: Event) => {
      const detail = (event as CustomEvent<{ state: string; payload?: string }>).detail;
      callback.current(detail.state === 'verified' ? detail.payload : undefined);
    };
    element.addEventListener('statechange', listener);
    return () => element.removeEventListener('statechange', listener);
  }, []);
  return (
    <altcha-widget
      ref={ref}
      challenge="/v1/captcha"
      language={i18n.language === 'es' ? 'es-es' : 'en'}
      name="captcha"
    />
  );
}
