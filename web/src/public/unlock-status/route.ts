import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

// Public: the requester follows the request with the status token, which the link carries in its fragment.
export const unlockStatusRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/unlock/$requestId',
}).lazy(() => import('./page').then((m) => m.Route));
