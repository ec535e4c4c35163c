import type { FastifyBaseLogger } from 'fastify';
import { PassThrough, pipeline as pipelineCallback, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { uuidv7 } from 'uuidv7';
import { ZipFile } from 'yazl';
import type { BlobStore } from '../blobs/store.js';
import { iso, type Clock } from '../clock.js';
import { COLLECTIONS, type CloudService, type ItemView, type StoredItem } from '../cloud/service.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openStream, sealStream } from '../crypto/stream-sealing.js';
import type { CloudExportRow, Db } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { JobService } from '../jobs/service.js';
import type { ExportRepository } from './repository.js';

/** How long a finished export can be downloaded before a job deletes it. */
export const EXPORT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface ExportView {
  id: string;
  status: CloudExportRow['status'];
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
  /** Bytes of the zip, once ready. */
  size: number | null;
  /** Where to download the zip, once ready. */
  download: string | null;
  /** Why it failed, when it did. */
  error: string | null;
}

export interface ExportProgress {
  done: number;
  total: number;
}

const README = `This is a copy of the data your Lanyard account keeps in its cloud.

contacts.json, notes.json, messages.json, app-data.json: every item of that collection, as a JSON array of
  {"id", "version", "updatedAt", "data"}, where data is the item exactly as your devices stored it
  (an item that could not be read is listed with "unreadable": true instead of data).
photos.json: every photo, as {"id", "file", "contentType", "size", "version", "updatedAt"}.
photos/: the original photos, byte for byte, named after their ids.
`;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'image/heif': '.heif',
  'image/avif': '.avif',
};

const exportAad = (accountId: string, exportId: string) => `export/v1\u0000${accountId}\u0000${exportId}`;

/** A file name for the zip made from a client's item id: no path separators, no dot-files, unique. */
function fileNameFor(itemId: string, contentType: string, taken: Set<string>): string {
  const base =
    itemId
      .replace(/[^A-Za-z0-9._ -]/g, '_')
      .replace(/^[.\s]+/, '_')
      .slice(0, 120) || 'photo';
  const extension = EXTENSIONS[contentType] ?? '';
  let name = base.toLowerCase().endsWith(extension) ? base : `${base}${extension}`;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}${extension}`;
  taken.add(name.toLowerCase());
  return name;
}

/**
 * A JSON array written item by item as the zip asks for more, so that no collection is held whole. Each
 * item's data is its stored JSON text as it is: never parsed and serialized again, so no item's shape
 * (however deep) can break the export. An item that cannot be read is named, with `"unreadable": true`.
 */
function jsonArrayStream(items: AsyncGenerator<StoredItem[]>, onItem: () => void): Readable {
  return Readable.from(
    (async function* () {
      yield '[';
      let first = true;
      for await (const page of items) {
        for (const item of page) {
          const head = `{"id":${JSON.stringify(item.id)},"version":${item.version},"updatedAt":${JSON.stringify(item.updatedAt)}`;
          yield `${first ? '\n' : ',\n'}${head}${item.text === undefined ? ',"unreadable":true}' : `,"data":${item.text}}`}`;
          first = false;
          onItem();
        }
      }
      yield first ? ']\n' : '\n]\n';
    })(),
  );
}

/**
 * Exports: a zip of everything an account keeps in the cloud, made by a durable job, sealed under the
 * account's key in the blob store, downloadable for 7 days and then deleted by another job.
 */
export class ExportService {
  private readonly db: Db;
  private readonly repository: ExportRepository;
  private readonly cloud: CloudService;
  private readonly keyRing: KeyRing;
  private readonly blobs: BlobStore;
  private readonly jobs: JobService;
  private readonly clock: Clock;
  private readonly log: FastifyBaseLogger;

  constructor(deps: {
    db: Db;
    repository: ExportRepository;
    cloud: CloudService;
    keyRing: KeyRing;
    blobs: BlobStore;
    jobs: JobService;
    clock: Clock;
    log: FastifyBaseLogger;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.cloud = deps.cloud;
    this.keyRing = deps.keyRing;
    this.blobs = deps.blobs;
    this.jobs = deps.jobs;
    this.clock = deps.clock;
    this.log = deps.log;
  }

  /** Asks for an export; while one is still being made, asking again returns that one. */
  async request(accountId: string): Promise<ExportView> {
    const id = uuidv7();
    const now = this.clock.now();
    const row = await this.db.transaction().execute(async (trx) => {
      const pending = await this.repository.getPendingExport(trx, accountId);
      if (pending) return pending;
      const created: CloudExportRow = {
        account_id: accountId,
        id,
        status: 'pending',
        created_at: now,
        completed_at: null,
        expires_at: null,
        blob_name: null,
        size: null,
        error: null,
      };
      await this.repository.createExport(trx, created);
      await this.jobs.enqueue(trx, {
        kind: 'cloud.export',
        accountId,
        payload: { accountId, exportId: id },
        maxAttempts: 3,
      });
      return created;
    });
    this.jobs.wake();
    return this.view(row);
  }

  async get(accountId: string, id: string): Promise<ExportView> {
    const row = await this.repository.getExport(accountId, id);
    if (!row) throw new AppError('not_found', 'No such export');
    return this.view(row);
  }

  /** The finished zip, opened as it streams out of the blob store. */
  async openDownload(accountId: string, id: string): Promise<{ stream: Readable; size: number }> {
    const row = await this.repository.getExport(accountId, id);
    if (!row || row.status === 'expired' || row.status === 'failed')
      throw new AppError('not_found', 'No such export (exports are kept 7 days)');
    if (row.status !== 'ready')
      throw new AppError('export.not_ready', 'The export is not ready yet; GET its status until it is "ready"');
    const key = await this.keyRing.get(accountId);
    const source = key ? await this.blobs.get(accountId, row.blob_name!) : undefined;
    if (!key || !source) throw new AppError('not_found', 'No such export (exports are kept 7 days)');
    // Pipelined: a download that breaks off (the client went away) also closes the blob.
    const opened = pipelineCallback(source, openStream(key, exportAad(accountId, id)), (error) => {
      if (error) this.log.warn({ err: error, accountId }, 'an export download broke off');
    });
    return { stream: opened, size: row.size! };
  }

  /**
   * Writes the account's zip to `output`: one JSON file per collection and the original photos, each
   * streamed from the database and the blob store as the zip reaches it. The command line uses it too.
   */
  async writeZip(
    accountId: string,
    output: Writable,
    onProgress?: (progress: ExportProgress) => void,
  ): Promise<{ bytes: number; items: number }> {
    const summary = await this.cloud.summary(accountId);
    const progress: ExportProgress = {
      done: 0,
      total: Object.values(summary.collections).reduce((sum, c) => sum + c.count, 0),
    };
    const tick = () => {
      progress.done += 1;
      onProgress?.({ ...progress });
    };
    onProgress?.({ ...progress });
    const zip = new ZipFile();
    const mtime = new Date(this.clock.now());
    zip.addBuffer(Buffer.from(README), 'README.txt', { mtime });
    for (const collection of COLLECTIONS.filter((c) => c !== 'photos')) {
      zip.addReadStreamLazy(`${collection}.json`, { mtime }, (callback) =>
        callback(null, guarded(jsonArrayStream(this.cloud.liveTexts(accountId, collection), tick))),
      );
    }
    // Photo metadata is small: gathered first, so that photos.json can name each file; the bytes stream later.
    const photos: Array<ItemView & { file: string }> = [];
    const taken = new Set<string>();
    for await (const page of this.cloud.liveItems(accountId, 'photos')) {
      for (const photo of page)
        photos.push({ ...photo, file: `photos/${fileNameFor(photo.id, photo.contentType!, taken)}` });
    }
    const listing = photos.map((p) => ({
      id: p.id,
      file: p.file,
      contentType: p.contentType,
      size: p.size,
      version: p.version,
      updatedAt: p.updatedAt,
    }));
    zip.addBuffer(Buffer.from(`${JSON.stringify(listing, null, 1)}\n`), 'photos.json', { mtime });
    for (const photo of photos) {
      // Photos are compressed already; storing them as they are saves time and keeps them byte for byte.
      zip.addReadStreamLazy(photo.file, { mtime, compress: false, size: photo.size! }, (callback) => {
        this.cloud.openPhoto(accountId, photo.id).then(
          ({ stream }) => {
            stream.once('end', tick);
            callback(null, guarded(stream));
          },
          (error: unknown) => callback(error, undefined as never),
        );
      });
    }
    let bytes = 0;
    const counter = new PassThrough();
    counter.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const done = pipeline(zip.outputStream as Readable, counter, output);
    // yazl pipes each entry's stream without listening for its errors: an entry that fails would be an
    // unhandled 'error', which ends the process. Every entry's error goes to the zip instead, and the
    // zip's (on, not once: several entries may fail) ends the output, which rejects `done`.
    function guarded(stream: Readable): Readable {
      return stream.on('error', (error: Error) => zip.emit('error', error));
    }
    zip.on('error', (error: Error) => (zip.outputStream as Readable).destroy(error));
    zip.end();
    await done;
    return { bytes, items: progress.done };
  }

  /** Job: makes the zip, sealed, into the blob store; marks the export ready and schedules its deletion. */
  async build({ accountId, exportId }: JobPayloads['cloud.export']): Promise<void> {
    const row = await this.repository.getExport(accountId, exportId);
    if (!row || row.status !== 'pending') return;
    const name = `export-${exportId}`;
    try {
      const key = await this.keyRing.getOrCreate(accountId);
      const zip = new PassThrough();
      // Pipelined both ways: a failure on either side (a blob that fails to open, a store that is down)
      // ends the other, so that neither waits for ever.
      const sealed = pipelineCallback(zip, sealStream(key, exportAad(accountId, exportId)), () => undefined);
      const [written, stored] = await Promise.allSettled([
        this.writeZip(accountId, zip),
        this.blobs.put(accountId, name, sealed),
      ]);
      if (written.status === 'rejected') throw written.reason;
      if (stored.status === 'rejected') throw stored.reason;
      const { bytes } = written.value;
      const now = this.clock.now();
      await this.db.transaction().execute(async (trx) => {
        await this.repository.updateExport(
          accountId,
          exportId,
          { status: 'ready', completed_at: now, expires_at: now + EXPORT_TTL_MS, blob_name: name, size: bytes },
          trx,
        );
        await this.jobs.enqueue(trx, {
          kind: 'cloud.export-expire',
          accountId,
          payload: { accountId, exportId },
          runAt: now + EXPORT_TTL_MS,
        });
      });
    } catch (error) {
      await this.blobs.delete(accountId, name).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Job parked as failed (its tries used up, or it stopped the process twice): the export says so, with
   * a reason for the person, and asking again makes a new one. The job's own error stays for staff.
   */
  async markFailed({ accountId, exportId }: JobPayloads['cloud.export'], reason: string): Promise<void> {
    const crashed = /stopped its worker|worker stopped/.test(reason);
    const error = crashed
      ? 'Making the export stopped the server before it could finish; ask for a new one, and tell support if it fails again'
      : 'The export could not be made after several tries; ask for a new one';
    await this.repository.updateExport(accountId, exportId, {
      status: 'failed',
      completed_at: this.clock.now(),
      error,
    });
    this.log.error({ accountId, exportId, reason }, 'export failed');
  }

  /** Job: deletes an export whose 7 days are over. */
  async expire({ accountId, exportId }: JobPayloads['cloud.export-expire']): Promise<void> {
    const row = await this.repository.getExport(accountId, exportId);
    if (!row || row.status !== 'ready') return;
    await this.blobs.delete(accountId, row.blob_name!);
    await this.repository.updateExport(accountId, exportId, { status: 'expired', blob_name: null });
    this.log.info({ accountId, exportId }, 'export expired and deleted');
  }

  private view(row: CloudExportRow): ExportView {
    return {
      id: row.id,
      status: row.status,
      createdAt: iso(row.created_at),
      completedAt: row.completed_at === null ? null : iso(row.completed_at),
      expiresAt: row.expires_at === null ? null : iso(row.expires_at),
      size: row.size,
      download: row.status === 'ready' ? `/v1/me/export/${row.id}/download` : null,
      error: row.status === 'failed' ? row.error : null,
    };
  }
}
