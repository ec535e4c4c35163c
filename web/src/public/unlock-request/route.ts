import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export interface UnlockRequestSearch {
  serial?: string;
}

// Public: whoever holds a locked device asks for its lock to be released, with proof.
export const unlockRequestRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/unlock',
  validateSearch: (search: Record<string, unknown>): UnlockRequestSearch =>
    typeof search.serial === 'string' ? { serial: search.serial } : {},
}).lazy(() => import('./page').then((m) => m.Route));
