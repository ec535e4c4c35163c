import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

// Public: the cancel link of a scheduled deletion; nobody can sign in to the account meanwhile.
export const cancelDeletionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/account/cancel-deletion',
}).lazy(() => import('./page').then((m) => m.Route));
