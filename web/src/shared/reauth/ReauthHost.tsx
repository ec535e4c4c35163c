import { lazy, Suspense, useEffect, useState } from 'react';
import { setReauthPrompt } from '../api/client';

// The dialog (React Aria's overlays, its form) loads only when a call first answers
// reauthentication_required: most visits never need it, and none needs it on the first page.
const ReauthDialog = lazy(() => import('./ReauthDialog').then((m) => ({ default: m.ReauthDialog })));

type Prompt = () => Promise<boolean>;

/** Mounted once, by the shell: stands in for the re-authentication prompt until the dialog has loaded. */
export function ReauthHost() {
  const [onReady, setOnReady] = useState<((prompt: Prompt) => void) | undefined>(undefined);
  useEffect(() => {
    if (onReady) return;
    setReauthPrompt(
      () =>
        new Promise<boolean>((resolve, reject) => {
          // The dialog registers its own prompt when it mounts, and answers this first call through it.
          setOnReady(() => (prompt: Prompt) => void prompt().then(resolve, reject));
        }),
    );
  }, [onReady]);
  return onReady ? (
    <Suspense fallback={null}>
      <ReauthDialog onReady={onReady} />
    </Suspense>
  ) : null;
}
