import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { api, ok } from '@shared/api/client';
import type { components } from '@shared/api/schema';

export type Item = components['schemas']['Item'];
export type ListedCollection = 'photos' | 'contacts' | 'notes' | 'messages' | 'app-data';

// A small first page draws the first screen soon; the rest follows in the largest pages the server gives
// (or, for a gallery read on demand, in pages of a few screens each).
const FIRST_PAGE = '60';
const NEXT_PAGES = '1000';
const NEXT_PAGES_ON_DEMAND = '360';

/** What the cloud holds per collection (counts and bytes): the storage card, and the gallery's count. */
export function useCloudSummary() {
  return useQuery({ queryKey: ['cloud'], queryFn: async () => ok(await api.GET('/v1/cloud')) });
}

/** All the photos, read or not: the cloud summary's count while pages remain unread, else what was read. */
export function usePhotoTotal(read: number, more: boolean): number | undefined {
  const summary = useCloudSummary();
  if (!more) return read;
  return summary.data ? Math.max(summary.data.collections.photos?.count ?? 0, read) : undefined;
}

/**
 * Every item of a collection, read from the start: the pages follow each other until there is no more,
 * or, `onDemand`, each when the page asks for it (`fetchNextPage`, as the person scrolls to the end),
 * items deleted on the way are dropped, and the ids the server could not read are kept apart so that the
 * page can say so rather than hide them. By default through delta sync (oldest change first), sorted newest
 * first once read; with `newest`, the server lists the live items newest first, and they stay in its order,
 * so that the first page is the top of the list and every later page only adds to its end.
 */
export function useCollection(
  collection: ListedCollection,
  { newest = false, onDemand = false }: { newest?: boolean; onDemand?: boolean } = {},
) {
  const next = onDemand ? NEXT_PAGES_ON_DEMAND : NEXT_PAGES;
  const order = newest ? ('newest' as const) : undefined;
  const query = useInfiniteQuery({
    queryKey: ['cloud', collection, ...(newest ? ['newest'] : [])],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) =>
      ok(
        await api.GET('/v1/cloud/{collection}', {
          params: {
            path: { collection },
            query: pageParam
              ? { limit: next, since: pageParam, ...(order ? { order } : {}) }
              : { limit: FIRST_PAGE, ...(order ? { order } : {}) },
          },
        }),
      ),
    getNextPageParam: (last) => (last.hasMore ? last.cursor : undefined),
  });
  const { hasNextPage, isFetchingNextPage, fetchNextPage, isError } = query;
  useEffect(() => {
    if (!onDemand && hasNextPage && !isFetchingNextPage && !isError) void fetchNextPage();
  }, [onDemand, hasNextPage, isFetchingNextPage, isError, fetchNextPage]);

  const { items, unreadable } = useMemo(() => {
    const byId = new Map<string, Item>();
    const broken = new Set<string>();
    for (const page of query.data?.pages ?? []) {
      for (const item of page.items) {
        byId.set(item.id, item);
        broken.delete(item.id);
      }
      for (const id of page.unreadable) {
        byId.delete(id);
        broken.add(id);
      }
      for (const id of page.deleted) {
        byId.delete(id);
        broken.delete(id);
      }
    }
    // Newest first, as a gallery or an inbox reads (the newest-first listing comes in that order already).
    const listed = [...byId.values()];
    return {
      items: newest
        ? listed
        : listed.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id)),
      unreadable: [...broken],
    };
  }, [query.data, newest]);

  return { ...query, items, unreadable, loadingMore: query.hasNextPage || query.isFetchingNextPage };
}

/** A field of a person's JSON item, when it is text (items are the devices' own JSON, of any shape). */
export function textOf(data: unknown, ...names: string[]): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as Record<string, unknown>;
  for (const name of names) {
    const value = record[name];
    if (typeof value === 'string' && value.trim()) return value.trim();
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value)) {
      const first = value.find((v) => typeof v === 'string' || (v && typeof v === 'object'));
      if (typeof first === 'string') return first;
      const inner = first && textOf(first, 'value', 'number', 'address', 'email');
      if (inner) return inner;
    }
  }
  return undefined;
}

/** The JSON of an item, short enough for one line. */
export function preview(data: unknown, max = 140): string {
  const text = typeof data === 'string' ? data : (JSON.stringify(data) ?? '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A JSON item's size as the storage quota counts it: the bytes of its JSON text in UTF-8 (the server
 * stores JSON.stringify of what the device sent, and sends back its parse).
 */
export function jsonSize(data: unknown): number {
  return new TextEncoder().encode(JSON.stringify(data ?? null)).length;
}
