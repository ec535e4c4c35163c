import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';
import { requireAccount } from '../../shell/session';

// The link of the owner's notice: the owner signs in first (and comes back here), then objects.
export const unlockObjectionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/unlock/$requestId/object',
  beforeLoad: ({ context, location }) => requireAccount(context.queryClient, location.href),
}).lazy(() => import('./page').then((m) => m.Route));
