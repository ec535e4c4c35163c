import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export interface LockAccountSearch {
  token?: string;
}

// Public: the link of a new sign-in or address-changed notice, for someone who may have lost every session.
export const lockAccountRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/account/lock',
  validateSearch: (search: Record<string, unknown>): LockAccountSearch =>
    typeof search.token === 'string' ? { token: search.token } : {},
}).lazy(() => import('./page').then((m) => m.Route));
