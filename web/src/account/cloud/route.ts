import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';
import { requireAccount } from '../../shell/session';

export const cloudRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/cloud',
  beforeLoad: ({ context, location }) => requireAccount(context.queryClient, location.href),
}).lazy(() => import('./page').then((m) => m.Route));
