import '@shared/ui/tokens.css';
import './i18n';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createRouter, RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from '@shared/api/client';
import { i18nReady } from '@shared/i18n';
import { sessionChanged } from '../shell/session';
import { adminRouteTree } from './routes';
import { noteSessionEnded } from './shell/ended';

// The staff console: a second entry of the portal's build, served at /admin, over the same client,
// components and catalogues.
// A staff session left idle for 30 minutes ends on the server: whatever call finds out brings the
// sign-in form back, saying why, in place of the page.
const onError = (error: unknown) => {
  if (error instanceof ApiError && (error.code === 'staff.session_idle' || error.code === 'unauthenticated')) {
    noteSessionEnded(error.code);
    void sessionChanged(queryClient);
  }
};
const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const router = createRouter({
  routeTree: adminRouteTree,
  basepath: '/admin',
  context: { queryClient },
  defaultPreload: 'intent',
  scrollRestoration: true,
});

// Rendered once the reader's language is in (Spanish is fetched first; English is already here).
const render = () =>
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router as never} />
      </QueryClientProvider>
    </StrictMode>,
  );
void i18nReady.then(render, render);
