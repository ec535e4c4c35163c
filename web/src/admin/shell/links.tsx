// The portal registers its own router's types with TanStack Router (one registration per program), so
// the console's links and params go through these few helpers, typed by the console's paths here.
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import type { ReactNode } from 'react';

/** Every page of the console, as its route path (under the /admin basepath). */
export type AdminPath =
  | '/'
  | '/unlock-requests'
  | '/unlock-requests/$id'
  | '/apps'
  | '/apps/new'
  | '/apps/$clientId'
  | '/webhooks'
  | '/webhooks/$id'
  | '/accounts'
  | '/accounts/$id'
  | '/audit'
  | '/staff';

export interface AdminTarget {
  to: AdminPath;
  params?: Record<string, string>;
  search?: Record<string, string | undefined>;
}

export function AdminLink({
  children,
  className,
  exact,
  ...target
}: AdminTarget & { children: ReactNode; className?: string; exact?: boolean }) {
  return (
    <Link
      to={target.to as never}
      params={target.params as never}
      search={target.search as never}
      className={className}
      activeOptions={{ exact: exact ?? false, includeSearch: false }}
    >
      {children}
    </Link>
  );
}

export function useAdminNavigate(): (target: AdminTarget & { replace?: boolean }) => Promise<void> {
  const navigate = useNavigate();
  return (target) => navigate(target as never);
}

export function useAdminParams<T extends Record<string, string>>(): T {
  return useParams({ strict: false }) as unknown as T;
}

export function useAdminSearch<T extends Record<string, string | undefined>>(): T {
  return useSearch({ strict: false }) as unknown as T;
}

/** Search params kept as strings only, and only the keys given. */
export function stringSearch(keys: readonly string[]) {
  return (search: Record<string, unknown>): Record<string, string | undefined> =>
    Object.fromEntries(
      keys
        .filter((key) => typeof search[key] === 'string' && search[key] !== '')
        .map((key) => [key, String(search[key])]),
    );
}
