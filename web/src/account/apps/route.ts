import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';
import { requireAccount } from '../../shell/session';

export const appsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/apps',
  beforeLoad: ({ context, location }) => requireAccount(context.queryClient, location.href),
}).lazy(() => import('./page').then((m) => m.Route));
