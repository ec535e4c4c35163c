import { queryOptions } from '@tanstack/react-query';
import { api, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';

export type UnlockRequest = components['schemas']['UnlockRequest'];
export type UnlockStatus = UnlockRequest['status'];
export const UNLOCK_STATUSES: readonly UnlockStatus[] = ['submitted', 'waiting', 'released', 'rejected', 'objected'];

export function isUnlockStatus(value: unknown): value is UnlockStatus {
  return typeof value === 'string' && (UNLOCK_STATUSES as readonly string[]).includes(value);
}

/** The queue, newest first, of one state or all (each listing is audited by the server). */
export const unlockRequestsQuery = (status: UnlockStatus | undefined) =>
  queryOptions({
    queryKey: ['admin', 'unlock-requests', status ?? 'all'],
    queryFn: async () =>
      ok(await api.GET('/v1/admin/unlock-requests', { params: { query: status ? { status } : {} } })).unlockRequests,
  });

/** One request, read by itself (audited by the server too). */
export const unlockRequestQuery = (id: string) =>
  queryOptions({
    queryKey: ['admin', 'unlock-requests', 'one', id],
    queryFn: async () => ok(await api.GET('/v1/admin/unlock-requests/{id}', { params: { path: { id } } })),
  });
