import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

// Public: for whoever holds a device (a second-hand buyer), signed in or not.
export const checkDeviceRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/check-device',
}).lazy(() => import('./page').then((m) => m.Route));
