import { iso, type Clock } from '../clock.js';
import type { KeyRing } from '../crypto/keyring.js';
import { sealText } from '../crypto/sealing.js';
import type { CloudItemRow, Db } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { decodeCursor, encodeCursor } from './cursors.js';
import type { CloudRepository } from './repository.js';
import { itemAad, MAX_ITEM_BYTES, type CloudLimits, type JsonCollection } from './service.js';

/** A batch holds at most this many operations (API.md), and its body at most BATCH_BODY_BYTES. */
export const MAX_BATCH_OPS = 1000;
export const BATCH_BODY_BYTES = 8 * 1024 * 1024;

const ITEM_ID = /^[^\x00-\x1f\x7f/]{1,200}$/;

/** What one operation of a batch came to: written (200), deleted (204), a conflict (409) or invalid (400). */
export interface BatchItemResult {
  id: string;
  status: 200 | 204 | 409 | 400;
  /** 200 and 204: the version written; 409: the current version, when the item exists. */
  version?: number;
  updatedAt?: string;
  code?: 'conflict' | 'validation_failed' | 'payload_too_large';
  detail?: string;
}

export interface BatchResult {
  results: BatchItemResult[];
  cursor: string;
}

type ParsedOp =
  | { kind: 'put'; id: string; text: string; size: number; ifMatch: number | '*' | undefined }
  | { kind: 'delete'; id: string; ifMatch: number | '*' | undefined }
  | { kind: 'invalid'; id: string; code: 'validation_failed' | 'payload_too_large'; detail: string };

export interface CloudBatchDeps {
  db: Db;
  repository: CloudRepository;
  keyRing: KeyRing;
  cursorKey: Buffer;
  clock: Clock;
  limits: CloudLimits;
}

/**
 * Batch sync: up to a thousand puts and deletes of one JSON collection in one transaction, each with its
 * own result. Items are sealed and versioned as single writes are, and each change takes a seq of its own,
 * so delta sync cannot tell a batch from the same writes one by one.
 */
export class CloudBatchService {
  constructor(private readonly deps: CloudBatchDeps) {}

  /**
   * Applies the operations in order. A conflict or an invalid operation fails alone; the quota is the
   * whole batch's (413 quota_exceeded and nothing written), as a phone cannot act on half a restore.
   * `since` is the client's last cursor: the answer's cursor moves past the batch only when nothing else
   * changed in the collection since then, so that adopting it never skips another device's change.
   */
  async apply(
    accountId: string,
    collection: JsonCollection,
    ops: readonly unknown[],
    since: string | undefined,
  ): Promise<BatchResult> {
    const { db, repository, keyRing, cursorKey, clock, limits } = this.deps;
    const sinceSeq = since === undefined ? 0 : decodeCursor(cursorKey, accountId, collection, since);
    const parsed = ops.map(parseOp);
    const key = parsed.some((op) => op.kind === 'put') ? await keyRing.getOrCreate(accountId) : undefined;

    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      await repository.ensureAccount(trx, accountId, now);
      // The account's row lock first, as for single writes: the batch's seqs are then contiguous and
      // become visible together, and the state read below cannot change before the commit.
      const account = await repository.lockAccount(trx, accountId, now);
      const ids = [...new Set(parsed.filter((op) => op.kind !== 'invalid').map((op) => op.id))];
      const stored = new Map(
        (await repository.getMany(trx, accountId, collection, ids)).map((row) => [row.item_id, row]),
      );
      const state = new Map(stored);
      let seq = account.lastSeq;
      const results = parsed.map((op): BatchItemResult => {
        if (op.kind === 'invalid') return { id: op.id, status: 400, code: op.code, detail: op.detail };
        const current = state.get(op.id);
        const live = current && !current.deleted ? current : undefined;
        const conflict = preconditionFails(live, op.ifMatch);
        if (conflict)
          return {
            id: op.id,
            status: 409,
            code: 'conflict',
            detail: conflict,
            ...(live ? { version: live.version } : {}),
          };
        // Deleting what is not there is already done: no tombstone, so delta sync has nothing to report.
        if (op.kind === 'delete' && !live) return { id: op.id, status: 204 };
        seq += 1;
        // Versions keep counting through deletions, so that a stale ifMatch never matches a re-created item.
        const version = (current?.version ?? 0) + 1;
        const row: CloudItemRow = {
          account_id: accountId,
          collection,
          item_id: op.id,
          version,
          seq,
          updated_at: now,
          deleted: op.kind === 'delete' ? 1 : 0,
          body: op.kind === 'put' ? sealText(key!, op.text, itemAad(accountId, collection, op.id, version)) : null,
          blob_name: null,
          content_type: null,
          size: op.kind === 'put' ? op.size : 0,
          thumbnail: 0,
        };
        state.set(op.id, row);
        return op.kind === 'put'
          ? { id: op.id, status: 200, version, updatedAt: iso(now) }
          : { id: op.id, status: 204, version };
      });

      // Only each item's last state is written; the seqs of the states it replaced in this batch are gaps.
      const changed = [...state.values()].filter((row) => row.seq > account.lastSeq);
      let delta = 0;
      for (const row of changed) {
        const before = stored.get(row.item_id);
        delta += row.size - (before && !before.deleted ? before.size : 0);
      }
      if (delta > 0 && account.usedBytes + delta > limits.quotaBytes) {
        throw new AppError(
          'quota_exceeded',
          `This batch would take the account past its storage quota of ${limits.quotaBytes} bytes; nothing of it was written`,
          {
            quotaBytes: limits.quotaBytes,
          },
        );
      }
      if (changed.length > 0) {
        await repository.saveMany(trx, changed);
        await repository.advance(trx, accountId, seq, delta);
      }
      // Rows changed by this batch now carry its seqs, so anything left between the client's cursor and
      // the batch is another change (another device's, or an item this batch did not write).
      const caughtUp = !(await repository.changedBetween(trx, accountId, collection, sinceSeq, account.lastSeq + 1));
      return { results, cursor: encodeCursor(cursorKey, accountId, collection, caughtUp ? seq : sinceSeq) };
    });
  }
}

/** Why the precondition fails, or undefined when the operation may go ahead. */
function preconditionFails(live: CloudItemRow | undefined, ifMatch: number | '*' | undefined): string | undefined {
  if (ifMatch === undefined) return undefined;
  if (!live) return 'The item does not exist (any more)';
  if (ifMatch !== '*' && live.version !== ifMatch)
    return `The item is at version ${live.version}, not ${ifMatch}: fetch it, merge, and send it again`;
  return undefined;
}

/** Checks one operation on its own, so that one malformed entry fails alone instead of the whole batch. */
function parseOp(raw: unknown): ParsedOp {
  const op = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const id = typeof op.id === 'string' ? op.id : '';
  const invalid = (detail: string): ParsedOp => ({ kind: 'invalid', id, code: 'validation_failed', detail });
  if (op !== raw) return invalid('an operation must be an object');
  if (op.op !== 'put' && op.op !== 'delete') return invalid('op must be "put" or "delete"');
  if (!ITEM_ID.test(id)) return invalid('id must be 1 to 200 printable characters without "/"');
  const allowed = op.op === 'put' ? ['op', 'id', 'data', 'ifMatch'] : ['op', 'id', 'ifMatch'];
  const unknown = Object.keys(op).find((name) => !allowed.includes(name));
  if (unknown !== undefined) return invalid(`${unknown} is not a field of a ${op.op} operation`);
  const ifMatch = op.ifMatch;
  if (ifMatch !== undefined && ifMatch !== '*' && !(Number.isInteger(ifMatch) && (ifMatch as number) >= 1)) {
    return invalid('ifMatch must be a version number, such as 3, or "*"');
  }
  const precondition = ifMatch as number | '*' | undefined;
  if (op.op === 'delete') return { kind: 'delete', id, ifMatch: precondition };
  if (!('data' in op)) return invalid('a put needs data');
  const text = JSON.stringify(op.data);
  const size = Buffer.byteLength(text);
  if (size > MAX_ITEM_BYTES)
    return {
      kind: 'invalid',
      id,
      code: 'payload_too_large',
      detail: `An item may be at most ${MAX_ITEM_BYTES} bytes of JSON`,
    };
  return { kind: 'put', id, text, size, ifMatch: precondition };
}
