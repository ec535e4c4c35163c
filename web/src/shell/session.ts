import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { redirect } from '@tanstack/react-router';
import { api, ApiError, forgetCsrfToken, ok } from '@shared/api/client';

/** Who is signed in on this browser, or null. */
export const meQuery = queryOptions({
  queryKey: ['me'],
  queryFn: async () => {
    try {
      return ok(await api.GET('/v1/me'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
  staleTime: 30_000,
});

/**
 * For a page's beforeLoad: the signed-in account, or off to sign-in (and back here afterwards). Sign-in is
 * a page of its own (sign-in.html), so the way there is a full page load.
 */
export async function requireAccount(queryClient: QueryClient, href: string) {
  const me = await queryClient.ensureQueryData(meQuery);
  if (!me) throw redirect({ href: signInHref({ next: href }), reloadDocument: true, replace: true });
  return me;
}

/** The sign-in page's address: where to go back to afterwards, or that the person just signed out. */
export function signInHref(options: { next: string } | { signedOut: true }): string {
  return `/sign-in?${new URLSearchParams('next' in options ? { next: options.next } : { signedOut: 'true' })}`;
}

/** After signing in, up or out: the new session has its own CSRF token and everything cached is someone else's. */
export async function sessionChanged(queryClient: QueryClient): Promise<void> {
  forgetCsrfToken();
  // Cleared but kept observed (clear() would orphan the header's and pages' observers).
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'me' });
  await queryClient.resetQueries({ queryKey: meQuery.queryKey });
  await queryClient.fetchQuery(meQuery);
}
