// Two-way sync of one collection between a device's local items and its account's cloud, the way a phone's
// contacts app would: local changes go up in batches of 1,000, then what changed on the server comes down.
// It imports nothing from the server, like the client it uses.

import { createHash } from 'node:crypto';
import type { BatchOp, LanyardDeviceClient } from './client.js';

/** What the device remembers of one collection: its cursor and, per item, the version and content it synced. */
export interface CollectionSyncState {
  cursor?: string;
  items: Record<string, { version: number; hash: string }>;
}

export interface SyncReport {
  uploaded: number;
  deleted: number;
  /** Local changes refused because the item changed on the server meanwhile; the server's version won. */
  conflicts: number;
  /** Local items the server refused as invalid (too large, a bad id); kept on the device only. */
  invalid: number;
  downloaded: number;
  removed: number;
}

export const BATCH_SIZE = 1000;

const hashOf = (data: unknown) => createHash('sha256').update(JSON.stringify(data)).digest('base64url');

/** Syncs `local` (item id → data) with the server; changes `local` and `state` in place. */
export async function syncCollection(
  client: LanyardDeviceClient,
  collection: string,
  local: Record<string, unknown>,
  state: CollectionSyncState,
): Promise<SyncReport> {
  const report: SyncReport = { uploaded: 0, deleted: 0, conflicts: 0, invalid: 0, downloaded: 0, removed: 0 };
  const ops: BatchOp[] = [];
  const hashes = new Map<string, string>();
  for (const [id, data] of Object.entries(local)) {
    const hash = hashOf(data);
    const known = state.items[id];
    if (known?.hash === hash) continue;
    hashes.set(id, hash);
    // A change made on top of the version the device last saw: a server that moved on answers 409.
    ops.push(known ? { op: 'put', id, data, ifMatch: known.version } : { op: 'put', id, data });
  }
  for (const [id, known] of Object.entries(state.items))
    if (!(id in local)) ops.push({ op: 'delete', id, ifMatch: known.version });

  for (let i = 0; i < ops.length; i += BATCH_SIZE) {
    // The cursor goes along, so that the answer's cursor passes this batch only when nothing else changed.
    const answer = await client.batch(collection, ops.slice(i, i + BATCH_SIZE), state.cursor);
    for (const result of answer.results) {
      if (result.status === 200) {
        state.items[result.id] = { version: result.version!, hash: hashes.get(result.id)! };
        report.uploaded += 1;
      } else if (result.status === 204) {
        delete state.items[result.id];
        report.deleted += 1;
      } else if (result.status === 409) {
        report.conflicts += 1;
      } else {
        report.invalid += 1;
      }
    }
    state.cursor = answer.cursor;
  }

  // Down: every change after the cursor, the device's own writes included when others came in between
  // (they come back as they are, so applying them again changes nothing).
  for (;;) {
    const page = await client.changes(collection, state.cursor);
    for (const item of page.items) {
      local[item.id] = item.data;
      state.items[item.id] = { version: item.version, hash: hashOf(item.data) };
      report.downloaded += 1;
    }
    for (const id of page.deleted) {
      if (id in local) report.removed += 1;
      delete local[id];
      delete state.items[id];
    }
    state.cursor = page.cursor;
    if (!page.hasMore) return report;
  }
}
