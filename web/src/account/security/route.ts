import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';
import { requireAccount } from '../../shell/session';

export const securityRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/security',
  beforeLoad: ({ context, location }) => requireAccount(context.queryClient, location.href),
}).lazy(() => import('./page').then((m) => m.Route));
