import { createRoute } from '@tanstack/react-router';
import { rootRoute } from '../../shell/root';

export interface SignInSearch {
  next?: string;
  signedOut?: boolean;
}

export const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/sign-in',
  staticData: { firstWordsOnly: true },
  validateSearch: (search: Record<string, unknown>): SignInSearch => ({
    ...(typeof search.next === 'string' ? { next: search.next } : {}),
    ...(search.signedOut === true || search.signedOut === 'true' ? { signedOut: true } : {}),
  }),
}).lazy(() => import('./page').then((m) => m.Route));
