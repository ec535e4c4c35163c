import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export interface RecoveryCancelSearch {
  token?: string;
}

// Public: the link of the notice of a password recovery waiting out its period, for an owner who may
// have no session left.
export const recoveryCancelRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/account/recovery-cancel',
  validateSearch: (search: Record<string, unknown>): RecoveryCancelSearch =>
    typeof search.token === 'string' ? { token: search.token } : {},
}).lazy(() => import('./page').then((m) => m.Route));
