// The console's pages, each in its folder and loaded when first opened; adding one is an entry here
// (and its path in shell/links.tsx).
import { createRoute, lazyRouteComponent } from '@tanstack/react-router';
import { stringSearch } from './shell/links';
import { adminRootRoute } from './shell/root';

const page = (path: string, load: () => Promise<{ default: () => unknown }>, search?: readonly string[]) =>
  createRoute({
    getParentRoute: () => adminRootRoute,
    path,
    component: lazyRouteComponent(load as never),
    ...(search ? { validateSearch: stringSearch(search) } : {}),
  });

export const adminRouteTree = adminRootRoute.addChildren([
  page('/', () => import('./home/page')),
  page('/unlock-requests', () => import('./unlock-requests/list'), ['status']),
  page('/unlock-requests/$id', () => import('./unlock-requests/detail')),
  page('/apps', () => import('./apps/list'), ['deleted']),
  page('/apps/new', () => import('./apps/create')),
  page('/apps/$clientId', () => import('./apps/detail')),
  page('/webhooks', () => import('./webhooks/list'), ['deleted']),
  page('/webhooks/$id', () => import('./webhooks/detail')),
  page('/accounts', () => import('./accounts/search'), ['q', 'reason']),
  page('/accounts/$id', () => import('./accounts/detail'), ['reason']),
  page('/audit', () => import('./audit/page'), ['staff', 'account', 'action', 'since']),
  page('/staff', () => import('./staff/page')),
]);
