import { useState } from 'react';

/**
 * One step of the sign-in form (a call, then what follows it): pending while it runs, its error kept until
 * the next try or a reset. In place of TanStack Query's useMutation, which the sign-in page does not load.
 */
export function useAction<T>(
  run: () => Promise<T>,
  { onSuccess, onError }: { onSuccess?: (result: T) => unknown; onError?: (error: unknown) => void } = {},
) {
  const [state, setState] = useState<{ pending: boolean; failed: boolean; error?: unknown }>({
    pending: false,
    failed: false,
  });
  return {
    isPending: state.pending,
    isError: state.failed,
    error: state.error,
    reset: () => setState({ pending: false, failed: false }),
    start: () => {
      setState({ pending: true, failed: false });
      void (async () => {
        try {
          const result = await run();
          // Still pending while what follows runs (the next page loading): no second submit meanwhile.
          await onSuccess?.(result);
          setState({ pending: false, failed: false });
        } catch (error) {
          setState({ pending: false, failed: true, error });
          onError?.(error);
        }
      })();
    },
  };
}
