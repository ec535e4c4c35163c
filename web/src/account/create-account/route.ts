import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export const createAccountRoute = createRoute({ getParentRoute: () => rootRoute, path: '/create-account' }).lazy(() =>
  import('./page').then((m) => m.Route),
);
