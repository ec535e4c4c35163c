import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';
import { requireAccount } from '../../shell/session';

export const profileRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/profile',
  beforeLoad: ({ context, location }) => requireAccount(context.queryClient, location.href),
}).lazy(() => import('./page').then((m) => m.Route));
