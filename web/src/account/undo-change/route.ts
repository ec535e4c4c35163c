import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export interface UndoChangeSearch {
  token?: string;
}

// Public: the link goes to the old address, whose owner may have lost every session to whoever changed it.
export const undoChangeRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/account/undo-change',
  validateSearch: (search: Record<string, unknown>): UndoChangeSearch =>
    typeof search.token === 'string' ? { token: search.token } : {},
}).lazy(() => import('./page').then((m) => m.Route));
