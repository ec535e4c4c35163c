import type { FastifyBaseLogger } from 'fastify';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { uuidv7 } from 'uuidv7';
import type { BlobStore } from '../blobs/store.js';
import { iso, type Clock } from '../clock.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';
import { openStream, sealStream } from '../crypto/stream-sealing.js';
import type { CloudItemRow, Db, Executor } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { isTooDeep } from '../http/json-depth.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { JobService } from '../jobs/service.js';
import { decodeCursor, encodeCursor, NEWEST } from './cursors.js';
import { renderThumbnail } from './photos.js';
import type { CloudRepository, Collection } from './repository.js';
import { photoIntake, type IntakeReport } from './sniff.js';

export const COLLECTIONS = [
  'contacts',
  'notes',
  'messages',
  'app-data',
  'photos',
] as const satisfies readonly Collection[];
export type JsonCollection = Exclude<Collection, 'photos'>;

/** A JSON item is at most 64 KiB (API.md), measured as stored: compact JSON in UTF-8. */
export const MAX_ITEM_BYTES = 64 * 1024;
export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 1000;
// A page also stops once it carries this much item data, so that a page of large items stays bounded.
const PAGE_BYTES = 8 * 1024 * 1024;

/** What the client asked the current version to be: If-Match (a version or '*') or If-None-Match: *. */
export interface Precondition {
  ifMatch?: number | '*' | undefined;
  ifNoneMatch?: boolean | undefined;
}

export interface ItemWritten {
  id: string;
  version: number;
  updatedAt: string;
}

export interface ItemView extends ItemWritten {
  data?: unknown;
  size?: number;
  contentType?: string;
  thumbnail?: boolean;
}

export interface ChangesPage {
  items: ItemView[];
  deleted: string[];
  cursor: string;
  hasMore: boolean;
  /** Items of this page that could not be read; the others are answered all the same. */
  unreadable: string[];
}

/** A live JSON item as stored: its text, opened but not parsed; `text` undefined when it cannot be read. */
export interface StoredItem extends ItemWritten {
  text: string | undefined;
}

export interface CloudSummary {
  collections: Record<Collection, { count: number; bytes: number }>;
  usedBytes: number;
  quotaBytes: number;
}

export interface PhotoDownload {
  stream: Readable;
  size: number;
  contentType: string;
  version: number;
}

export interface CloudLimits {
  quotaBytes: number;
  maxPhotoBytes: number;
}

// Associated data binds every sealed value to its place: an item body to its account, collection, item and
// version; a photo to its account, item and blob (one blob per version, so the blob name stands for the
// version, which is only settled when the upload commits). Moving a sealed value elsewhere makes it unopenable.
export const itemAad = (accountId: string, collection: string, itemId: string, version: number) =>
  `cloud/v1\u0000${accountId}\u0000${collection}\u0000${itemId}\u0000${version}`;
export const photoAad = (accountId: string, itemId: string, blobName: string, part: 'photo' | 'thumb') =>
  `cloud/v1\u0000${accountId}\u0000photos\u0000${itemId}\u0000${blobName}\u0000${part}`;

interface NewState {
  deleted: boolean;
  size: number;
  /** The sealed body, once the version is known. */
  body?: (version: number) => string;
  blobName?: string | null;
  contentType?: string | null;
}

/** The rules of the cloud: versions and preconditions, the change log and cursors, quota, sealing. */
export class CloudService {
  private readonly db: Db;
  private readonly repository: CloudRepository;
  private readonly keyRing: KeyRing;
  private readonly blobs: BlobStore;
  private readonly jobs: JobService;
  private readonly cursorKey: Buffer;
  private readonly clock: Clock;
  private readonly limits: CloudLimits;
  private readonly log: FastifyBaseLogger;

  constructor(deps: {
    db: Db;
    repository: CloudRepository;
    keyRing: KeyRing;
    blobs: BlobStore;
    jobs: JobService;
    cursorKey: Buffer;
    clock: Clock;
    limits: CloudLimits;
    log: FastifyBaseLogger;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.keyRing = deps.keyRing;
    this.blobs = deps.blobs;
    this.jobs = deps.jobs;
    this.cursorKey = deps.cursorKey;
    this.clock = deps.clock;
    this.limits = deps.limits;
    this.log = deps.log;
  }

  /** Creates or replaces a JSON item. */
  async putJson(
    accountId: string,
    collection: JsonCollection,
    itemId: string,
    data: unknown,
    precondition: Precondition,
  ): Promise<ItemWritten> {
    const text = JSON.stringify(data ?? null);
    const size = Buffer.byteLength(text);
    if (size > MAX_ITEM_BYTES)
      throw new AppError('payload_too_large', `An item may be at most ${MAX_ITEM_BYTES} bytes of JSON`);
    const key = await this.keyRing.getOrCreate(accountId);
    const row = await this.commit(accountId, collection, itemId, precondition, {
      deleted: false,
      size,
      body: (version) => sealText(key, text, itemAad(accountId, collection, itemId, version)),
    });
    return written(row);
  }

  /**
   * Streams a photo into the blob store, sealed chunk by chunk as it arrives, then commits it as the
   * item's new version. Memory stays bounded whatever the photo's size.
   */
  async putPhoto(
    accountId: string,
    itemId: string,
    body: Readable,
    declaredBytes: number | undefined,
    precondition: Precondition,
  ): Promise<ItemWritten> {
    const { maxPhotoBytes, quotaBytes } = this.limits;
    // Cheap refusals before a single byte is read: too large, over quota, or already stale.
    if (declaredBytes !== undefined && declaredBytes > maxPhotoBytes)
      throw new AppError('payload_too_large', `A photo may be at most ${maxPhotoBytes} bytes`);
    const current = await this.repository.get(this.db, accountId, 'photos', itemId);
    checkPrecondition(current, precondition);
    if (declaredBytes !== undefined) {
      const used = await this.repository.usedBytes(this.db, accountId);
      const freed = current && !current.deleted ? current.size : 0;
      if (used - freed + declaredBytes > quotaBytes) throw quotaExceeded(quotaBytes);
    }

    const key = await this.keyRing.getOrCreate(accountId);
    const blobName = uuidv7();
    const report: IntakeReport = { type: undefined, bytes: 0 };
    let failure: unknown;
    const intake = photoIntake(maxPhotoBytes, report);
    // Piped, not pipelined: a refusal must not destroy the request, or the client would see a reset
    // connection instead of the 413 or 415 that explains it. Reading just stops, as for Fastify's own limits.
    body.pipe(intake);
    body.once('error', (error) => intake.destroy(error));
    const sealed = pipeline(intake, sealStream(key, photoAad(accountId, itemId, blobName, 'photo')), (error) => {
      if (error) failure ??= error;
    });
    try {
      await this.blobs.put(accountId, blobName, sealed);
      if (failure) throw failure;
    } catch (error) {
      await this.deleteBlobQuietly(accountId, blobName);
      // The intake's own refusal (too large, not an image) explains more than the store's broken pipe.
      throw failure ?? error;
    }

    try {
      const row = await this.commit(
        accountId,
        'photos',
        itemId,
        precondition,
        { deleted: false, size: report.bytes, blobName, contentType: report.type! },
        async (trx, previous) => {
          await this.jobs.enqueue(trx, {
            kind: 'cloud.thumbnail',
            accountId,
            payload: { accountId, itemId, blobName },
          });
          await this.enqueueBlobDeletion(trx, accountId, previous);
        },
      );
      this.jobs.wake();
      return written(row);
    } catch (error) {
      await this.deleteBlobQuietly(accountId, blobName);
      throw error;
    }
  }

  /** One page of what changed in a collection after the cursor (from the start without one). */
  async listChanges(
    accountId: string,
    collection: Collection,
    since: string | undefined,
    limit = DEFAULT_PAGE,
    order: 'changes' | 'newest' = 'changes',
  ): Promise<ChangesPage> {
    if (order === 'newest') return this.listNewest(accountId, collection, since, limit);
    const afterSeq = since === undefined ? 0 : decodeCursor(this.cursorKey, accountId, collection, since);
    const rows = await this.repository.listChanged(accountId, collection, afterSeq, limit + 1);
    const key = rows.some((r) => !r.deleted && r.body !== null) ? await this.keyRing.get(accountId) : undefined;
    const items: ItemView[] = [];
    const deleted: string[] = [];
    const unreadable: string[] = [];
    let lastSeq = afterSeq;
    let bytes = 0;
    let taken = 0;
    // Only JSON bodies travel in a page; photo bytes are fetched one by one, so they do not count.
    const pageBytes = (row: (typeof rows)[number]) => (collection === 'photos' ? 0 : row.size);
    for (const row of rows) {
      if (taken === limit || (taken > 0 && bytes + pageBytes(row) > PAGE_BYTES)) break;
      taken += 1;
      bytes += pageBytes(row);
      lastSeq = row.seq;
      if (row.deleted) deleted.push(row.item_id);
      else {
        // One damaged row must not stop every device's sync of the whole collection: it is named instead.
        try {
          items.push(this.view(row, key));
        } catch (error) {
          this.log.error({ err: error, accountId, collection }, 'a cloud item could not be read');
          unreadable.push(row.item_id);
        }
      }
    }
    return {
      items,
      deleted,
      cursor: encodeCursor(this.cursorKey, accountId, collection, lastSeq),
      hasMore: rows.length > taken,
      unreadable,
    };
  }

  /**
   * The live items, most recently changed first, a page at a time (keyset on the change counter): what a
   * gallery shows first comes in the first page. Devices keep delta sync; this order has no deletions.
   */
  private async listNewest(
    accountId: string,
    collection: Collection,
    before: string | undefined,
    limit: number,
  ): Promise<ChangesPage> {
    const tag = NEWEST(collection);
    const beforeSeq = before === undefined ? undefined : decodeCursor(this.cursorKey, accountId, tag, before);
    const rows = await this.repository.listNewest(accountId, collection, beforeSeq, limit + 1);
    // As in delta sync: JSON bodies count towards the page's bytes, photos (fetched one by one) do not.
    let bytes = 0;
    let taken = 0;
    for (const row of rows) {
      const size = collection === 'photos' ? 0 : row.size;
      if (taken === limit || (taken > 0 && bytes + size > PAGE_BYTES)) break;
      taken += 1;
      bytes += size;
    }
    const page = rows.slice(0, taken);
    const key = page.some((r) => r.body !== null) ? await this.keyRing.get(accountId) : undefined;
    const items: ItemView[] = [];
    const unreadable: string[] = [];
    for (const row of page) {
      try {
        items.push(this.view(row, key));
      } catch (error) {
        this.log.error({ err: error, accountId, collection }, 'a cloud item could not be read');
        unreadable.push(row.item_id);
      }
    }
    const last = page.at(-1)?.seq ?? beforeSeq ?? 0;
    return {
      items,
      deleted: [],
      cursor: encodeCursor(this.cursorKey, accountId, tag, last),
      hasMore: rows.length > taken,
      unreadable,
    };
  }

  /** A JSON item with its data. */
  async getJson(accountId: string, collection: JsonCollection, itemId: string): Promise<ItemView> {
    const row = await this.getLive(accountId, collection, itemId);
    try {
      return this.view(row, await this.keyRing.get(accountId));
    } catch (error) {
      if (error instanceof AppError) throw error;
      // A row that no longer opens (damaged, moved, its key gone) is the item's state, not a server fault.
      this.log.error({ err: error, accountId, collection }, 'a cloud item could not be read');
      throw new AppError('item_unreadable');
    }
  }

  /** The photo's original bytes, opened as they stream out of the blob store. */
  async openPhoto(accountId: string, itemId: string): Promise<PhotoDownload> {
    const row = await this.getLive(accountId, 'photos', itemId);
    const stream = await this.openBlob(accountId, row.blob_name!, photoAad(accountId, itemId, row.blob_name!, 'photo'));
    return { stream, size: row.size, contentType: row.content_type!, version: row.version };
  }

  /** The photo's thumbnail (WebP); not_found when it has none (yet, or because its format cannot be decoded). */
  async openThumbnail(accountId: string, itemId: string): Promise<Readable> {
    const row = await this.getLive(accountId, 'photos', itemId);
    if (!row.thumbnail)
      throw new AppError(
        'not_found',
        'This photo has no thumbnail (not made yet, or its format cannot be decoded here)',
      );
    return this.openBlob(accountId, `${row.blob_name!}.thumb`, photoAad(accountId, itemId, row.blob_name!, 'thumb'));
  }

  /** Deletes an item, leaving a tombstone that delta sync reports. */
  async delete(accountId: string, collection: Collection, itemId: string, precondition: Precondition): Promise<void> {
    const current = await this.repository.get(this.db, accountId, collection, itemId);
    if (!current || current.deleted) throw new AppError('not_found', 'No such item');
    await this.commit(
      accountId,
      collection,
      itemId,
      { ...precondition, ifMatch: precondition.ifMatch ?? '*' },
      { deleted: true, size: 0 },
      (trx, previous) => this.enqueueBlobDeletion(trx, accountId, previous),
    );
    this.jobs.wake();
  }

  /** Every live item of a collection, decrypted, a page at a time, in id order (for exports). */
  async *liveItems(accountId: string, collection: Collection, pageSize = 200): AsyncGenerator<ItemView[]> {
    const key = await this.keyRing.get(accountId);
    let after: string | undefined;
    for (;;) {
      const rows = await this.repository.listLive(accountId, collection, after, pageSize);
      if (rows.length === 0) return;
      yield rows.map((row) => this.view(row, key));
      after = rows[rows.length - 1]!.item_id;
    }
  }

  /**
   * Every live JSON item of a collection as its stored text, a page at a time, in id order (for exports):
   * the text goes out as it is, never parsed and serialized again, so that no item's shape can break the
   * export; an item that cannot be opened comes with `text` undefined.
   */
  async *liveTexts(accountId: string, collection: JsonCollection, pageSize = 200): AsyncGenerator<StoredItem[]> {
    const key = await this.keyRing.get(accountId);
    let after: string | undefined;
    for (;;) {
      const rows = await this.repository.listLive(accountId, collection, after, pageSize);
      if (rows.length === 0) return;
      yield rows.map((row) => {
        let text: string | undefined;
        try {
          text = this.openBody(row, key);
        } catch (error) {
          this.log.error({ err: error, accountId, collection }, 'a cloud item could not be read for an export');
        }
        return { ...written(row), text };
      });
      after = rows[rows.length - 1]!.item_id;
    }
  }

  /** Counts and bytes per collection, and the quota. */
  async summary(accountId: string): Promise<CloudSummary> {
    const collections = Object.fromEntries(
      COLLECTIONS.map((c) => [c, { count: 0, bytes: 0 }]),
    ) as CloudSummary['collections'];
    for (const row of await this.repository.usage(accountId))
      collections[row.collection] = { count: row.count, bytes: row.bytes };
    return {
      collections,
      usedBytes: await this.repository.usedBytes(this.db, accountId),
      quotaBytes: this.limits.quotaBytes,
    };
  }

  /**
   * The one place an item changes: in a transaction that first takes the account's next seq (and with it
   * the account's write lock), then checks the precondition and the quota against what is really stored.
   */
  private async commit(
    accountId: string,
    collection: Collection,
    itemId: string,
    precondition: Precondition,
    state: NewState,
    alsoInTransaction?: (trx: Executor, previous: CloudItemRow | undefined) => Promise<void>,
  ): Promise<CloudItemRow> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.repository.ensureAccount(trx, accountId, now);
      const { seq, usedBytes } = await this.repository.nextSeq(trx, accountId, now);
      const current = await this.repository.get(trx, accountId, collection, itemId);
      checkPrecondition(current, precondition);
      const delta = state.size - (current && !current.deleted ? current.size : 0);
      if (delta > 0 && usedBytes + delta > this.limits.quotaBytes) throw quotaExceeded(this.limits.quotaBytes);
      if (delta !== 0) await this.repository.addUsage(trx, accountId, delta);
      // Versions keep counting through deletions, so that a stale If-Match never matches a re-created item.
      const version = (current?.version ?? 0) + 1;
      const row: CloudItemRow = {
        account_id: accountId,
        collection,
        item_id: itemId,
        version,
        seq,
        updated_at: now,
        deleted: state.deleted ? 1 : 0,
        body: state.body ? state.body(version) : null,
        blob_name: state.blobName ?? null,
        content_type: state.contentType ?? null,
        size: state.size,
        thumbnail: 0,
      };
      await this.repository.save(trx, row, current !== undefined);
      await alsoInTransaction?.(trx, current);
      return row;
    });
  }

  private async getLive(accountId: string, collection: Collection, itemId: string): Promise<CloudItemRow> {
    const row = await this.repository.get(this.db, accountId, collection, itemId);
    // Another account's item and a missing one answer alike.
    if (!row || row.deleted) throw new AppError('not_found', 'No such item');
    return row;
  }

  private view(row: CloudItemRow, key: Buffer | undefined): ItemView {
    const base = { id: row.item_id, version: row.version, updatedAt: iso(row.updated_at) };
    if (row.collection === 'photos')
      return { ...base, size: row.size, contentType: row.content_type!, thumbnail: row.thumbnail === 1 };
    const text = this.openBody(row, key);
    // Items stored before bodies had a depth limit may nest deeper than the serializer can walk.
    if (isTooDeep(text))
      throw new AppError('item_unreadable', 'This item nests too deeply to be sent; overwrite or delete it');
    return { ...base, data: JSON.parse(text) };
  }

  private openBody(row: CloudItemRow, key: Buffer | undefined): string {
    if (!key) throw new Error(`account ${row.account_id} has cloud items but no data key`);
    return openText(key, row.body!, itemAad(row.account_id, row.collection, row.item_id, row.version));
  }

  private async openBlob(accountId: string, name: string, aad: string): Promise<Readable> {
    const key = await this.keyRing.get(accountId);
    const source = key ? await this.blobs.get(accountId, name) : undefined;
    if (!key || !source) throw new AppError('not_found', 'No such item');
    const opened = pipeline(source, openStream(key, aad), (error) => {
      if (error) this.log.error({ err: error, accountId }, 'a blob failed to stream or to open');
    });
    // Open the first chunk before answering: a blob that is not this item's (moved, swapped, corrupt) then
    // fails as a clean 500 instead of a reset connection. Later chunks can only fail mid-download.
    await new Promise<void>((resolve, reject) => {
      const ready = () => {
        opened.off('error', failed);
        resolve();
      };
      const failed = (error: Error) => {
        opened.off('readable', ready);
        reject(error);
      };
      opened.once('readable', ready);
      opened.once('error', failed);
    });
    return opened;
  }

  private async enqueueBlobDeletion(
    trx: Executor,
    accountId: string,
    previous: CloudItemRow | undefined,
  ): Promise<void> {
    if (!previous?.blob_name) return;
    // In the same transaction as the change: a crash cannot leave the old blob behind for ever.
    await this.jobs.enqueue(trx, {
      kind: 'cloud.blob-delete',
      accountId,
      payload: { accountId, names: [previous.blob_name, `${previous.blob_name}.thumb`] },
    });
  }

  private async deleteBlobQuietly(accountId: string, name: string): Promise<void> {
    await this.blobs
      .delete(accountId, name)
      .catch((error: unknown) =>
        this.log.warn({ err: error, accountId }, 'could not remove an uncommitted photo blob'),
      );
  }

  /** Job: makes the WebP thumbnail of a photo version, unless the photo changed or its format cannot be decoded. */
  /** Job: removes the blobs that a replaced or removed photo left behind. */
  async deleteBlobs({ accountId, names }: JobPayloads['cloud.blob-delete']): Promise<void> {
    for (const name of names) await this.blobs.delete(accountId, name);
  }

  /** Job: the thumbnail of an uploaded photo, unless the photo changed or went since. */
  async makeThumbnail({ accountId, itemId, blobName }: JobPayloads['cloud.thumbnail']): Promise<void> {
    const row = await this.repository.get(this.db, accountId, 'photos', itemId);
    const key = await this.keyRing.get(accountId);
    if (!row || row.blob_name !== blobName || row.thumbnail || !key) return;
    const outcome = await renderThumbnail(
      () => this.blobs.get(accountId, blobName),
      openStream(key, photoAad(accountId, itemId, blobName, 'photo')),
      row.size,
    );
    if ('skipped' in outcome) {
      this.log.info({ accountId, contentType: row.content_type }, `no thumbnail: ${outcome.skipped}`);
      return;
    }
    const name = `${blobName}.thumb`;
    await this.blobs.put(
      accountId,
      name,
      Readable.from([outcome.thumbnail]).pipe(sealStream(key, photoAad(accountId, itemId, blobName, 'thumb'))),
    );
    if (!(await this.repository.markThumbnail(accountId, itemId, blobName))) await this.blobs.delete(accountId, name);
  }
}

function written(row: CloudItemRow): ItemWritten {
  return { id: row.item_id, version: row.version, updatedAt: iso(row.updated_at) };
}

function quotaExceeded(quotaBytes: number): AppError {
  return new AppError(
    'quota_exceeded',
    `This would take the account past its storage quota of ${quotaBytes} bytes; delete something first`,
    { quotaBytes },
  );
}

/** Throws a 409 unless the stored item is what the client said it expects: conflict for a stale If-Match (API.md), cloud.item_exists for If-None-Match: *. */
function checkPrecondition(current: CloudItemRow | undefined, precondition: Precondition): void {
  const live = current && !current.deleted ? current : undefined;
  const currentVersion = live?.version ?? null;
  if (precondition.ifNoneMatch && live) {
    throw new AppError('cloud.item_exists', `The item already exists (version ${live.version})`, { currentVersion });
  }
  const expected = precondition.ifMatch;
  if (expected === undefined) return;
  if (!live) throw new AppError('conflict', 'The item does not exist (any more)', { currentVersion });
  if (expected !== '*' && live.version !== expected) {
    throw new AppError(
      'conflict',
      `The item is at version ${live.version}, not ${expected}: fetch it, merge, and send it again with If-Match: ${live.version}`,
      { currentVersion },
    );
  }
}
