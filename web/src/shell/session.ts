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

/** For a page's beforeLoad: the signed-in account, or off to sign-in (and back here afterwards). */
export async function requireAccount(queryClient: QueryClient, href: string) {
  const me = await queryClient.ensureQueryData(meQuery);
  if (!me) throw redirect({ to: '/sign-in', search: { next: href } });
  return me;
}

/** After signing in, up or out: the new session has its own CSRF token and everything cached is someone else's. */
export async function sessionChanged(queryClient: QueryClient): Promise<void> {
  forgetCsrfToken();
  // Cleared but kept observed (clear() would orphan the header's and pages' observers).
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'me' });
  await queryClient.resetQueries({ queryKey: meQuery.queryKey });
  await queryClient.fetchQuery(meQuery);
}

/** Only same-site paths are followed after sign-in, never another origin. */
export function safeNext(next: string | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}
