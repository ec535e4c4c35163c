import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, ok } from '@shared/api/client';

/** The password's age, the second factors and the recovery codes left (GET /v1/me/security). */
export const securityQuery = queryOptions({
  queryKey: ['security'],
  queryFn: async () => ok(await api.GET('/v1/me/security')),
});

/** The same keys as the sessions and devices pages, so that each page's cache serves the other. */
export const eventsQuery = queryOptions({
  queryKey: ['events'],
  queryFn: async () => ok(await api.GET('/v1/me/events')),
});
export const sessionsQuery = queryOptions({
  queryKey: ['sessions'],
  queryFn: async () => ok(await api.GET('/v1/sessions')),
});
export const devicesQuery = queryOptions({
  queryKey: ['devices'],
  queryFn: async () => ok(await api.GET('/v1/devices')),
});
/** The open unlock requests against this account's devices, which the owner may stop. */
export const unlockRequestsQuery = queryOptions({
  queryKey: ['unlock-requests'],
  queryFn: async () => ok(await api.GET('/v1/me/unlock-requests')),
});

/** After a change to a factor: the checkup and the activity show it. */
export function securityChanged(queryClient: QueryClient): Promise<unknown> {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: securityQuery.queryKey }),
    queryClient.invalidateQueries({ queryKey: eventsQuery.queryKey }),
  ]);
}
