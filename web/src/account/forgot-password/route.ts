import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export const forgotPasswordRoute = createRoute({ getParentRoute: () => rootRoute, path: '/forgot-password' }).lazy(() =>
  import('./page').then((m) => m.Route),
);
