import type SqliteDatabase from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { uuidv7 } from 'uuidv7';
import type { AccountService } from '../accounts/service.js';
import type { ClientAppService } from '../client-apps/service.js';
import { forgetAccountInAudit, writeAudit } from '../audit/audit-log.js';
import type { BlobStore } from '../blobs/store.js';
import { iso, type Clock } from '../clock.js';
import type { KeyRing } from '../crypto/keyring.js';
import { deleteAccountRows, type AccountRows } from '../db/account-rows.js';
import type { Database, Db, ErasureRow, Executor, JobRow } from '../db/schema.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { DeviceService } from '../devices/service.js';
import type { JobService } from '../jobs/service.js';
import type { UnlockRequestService } from '../unlock/service.js';
import type { VerificationService } from '../verification/service.js';
import type { WebhookService } from '../webhooks/service.js';
import type { DeletionRepository } from './repository.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { Tombstones } from './tombstone-log.js';

export const ERASE_JOB = 'account.erase';
/** An erasure never gives up: a failing step is retried with backoff until it succeeds (and is visible meanwhile). */
export const ERASE_MAX_ATTEMPTS = 1000;
/**
 * Wall time one job spends erasing before it hands over to the next link of the chain. Short links keep
 * far below any job lease (so a live worker never loses its erasure to another), and a crash loses at
 * most one link's progress, which is redone harmlessly since every step is idempotent.
 */
const SLICE_MS = 250;

export interface ErasureDeps {
  db: Db;
  sqlite: SqliteDatabase.Database | undefined;
  repository: DeletionRepository;
  /** Moves the account to `erasing` when a grace period ends, and deletes its row at the `account` step. */
  accounts: Pick<AccountService, 'moveForDeletion' | 'deleteErased'>;
  /** A staff account's erasure takes its id out of the unlock requests it approved first (the `audit` step). */
  unlock: Pick<UnlockRequestService, 'forgetStaff'>;
  /** Ends every session of the account, device tokens included, when its erasure begins. */
  sessions: SessionEnding;
  /** Drops the account's verification codes when its erasure begins. */
  verification: Pick<VerificationService, 'forgetAccount'>;
  /** Releases its device locks when the deletion asked for it. */
  devices: Pick<DeviceService, 'releaseLocksOf'>;
  /** Apps the account let in are told of the deletion (OpenID back-channel logout). */
  apps: ClientAppService;
  keyRing: KeyRing;
  blobs: BlobStore;
  webhooks: WebhookService;
  tombstones: Tombstones;
  jobs: JobService;
  clock: Clock;
  log: FastifyBaseLogger;
  batchSize: number;
  /** Every feature's tables of account rows, in the order they are emptied (src/app.ts, ERASED_ACCOUNT_ROWS). */
  accountRows: readonly AccountRows[];
  /** The device locks, emptied too when the deletion releases the devices. */
  releasedRows: AccountRows;
}

/**
 * Tells linked services, in the transaction that deletes the account: webhook endpoints get
 * `account.deleted` (naming the account by its keyed hash), and the apps it let in an OpenID
 * back-channel logout (naming it by the `sub` they know). Both are durable jobs.
 */
export async function announceDeletion(
  trx: Executor,
  deps: { webhooks: WebhookService; apps: ClientAppService },
  accountHash: string,
  accountId: string,
  now: number,
): Promise<void> {
  await deps.webhooks.emit(trx, 'account.deleted', { account: accountHash, deletedAt: iso(now) });
  await deps.apps.queueDeletionLogouts(trx, accountId);
}

/** The steps of an erasure, in order; each is idempotent, and recorded on the erasure once done. */
function stepsOf(
  row: Pick<ErasureRow, 'release_devices'>,
  onSqlite: boolean,
  rows: { accountRows: readonly AccountRows[]; releasedRows: AccountRows },
): string[] {
  const tables = [...rows.accountRows, ...(row.release_devices ? [rows.releasedRows] : [])].flatMap((r) => r.tables);
  return [
    // The account leaves `active` (done by the confirmation itself unless a grace period delayed it).
    'begin',
    // Crypto-shredding first: from here on, every sealed copy of the account's data (rows not yet
    // deleted, blobs, replicas, backups) is unreadable, whatever happens to the steps that follow.
    'data_key',
    'tombstone_log',
    ...tables.map((t) => `rows:${t}`),
    'audit',
    'blobs',
    'account',
    // A request that was already in flight at the confirmation may have re-created a key or a blob.
    'sweep',
    // The tombstone loses the account id.
    'finish',
    // Last, after every write that held the account id (the erasure row's own included): SQLite keeps old
    // page images in the WAL until a checkpoint folds the zeroed ones (secure_delete) into the file.
    ...(onSqlite ? ['checkpoint'] : []),
  ];
}

/**
 * Runs erasures as a chain of short jobs, each resuming from the steps recorded on the erasure row. A
 * crash at any point loses nothing: the committed steps stay done, the step in hand is run again.
 */
export class ErasureRunner {
  constructor(private readonly deps: ErasureDeps) {}

  /** Queues the first link of an erasure's chain in the caller's transaction. */
  async enqueue(executor: Executor, accountHash: string, jobId: string, runAt: number): Promise<void> {
    await this.deps.jobs.enqueue(executor, {
      id: jobId,
      kind: ERASE_JOB,
      payload: { erasure: accountHash },
      runAt,
      maxAttempts: ERASE_MAX_ATTEMPTS,
    });
  }

  /** Job: one link of an erasure's chain; it queues the next link until the erasure is done. */
  async run(payload: JobPayloads['account.erase'], job: JobRow): Promise<void> {
    const { repository } = this.deps;
    if (typeof payload?.erasure !== 'string') return;
    const hash = payload.erasure;
    const row = await repository.getErasure(hash);
    // Cancelled, finished, or a stale link run again after a crash: the current link owns the erasure.
    if (!row || row.job_id !== job.id) return;
    // Null once the tombstone is written; only the checkpoint may remain then.
    const accountId = row.account_id;
    const done: string[] = JSON.parse(row.steps) as string[];
    const deadline = performance.now() + SLICE_MS;
    for (const step of stepsOf(row, this.deps.sqlite !== undefined, this.deps)) {
      if (done.includes(step)) continue;
      if (performance.now() > deadline) return this.handOver(hash, job.id, done);
      if (step === 'begin') {
        if (!(await this.begin(row, job.id))) return;
      } else if (step === 'finish') {
        if (!(await this.finish(row, job.id, [...done, step]))) return;
      } else {
        const complete = await this.runStep(step, accountId!, row, deadline);
        if (!complete) return this.handOver(hash, job.id, done);
        if (!(await repository.updateErasure(this.deps.db, hash, job.id, { steps: JSON.stringify([...done, step]) })))
          return;
      }
      done.push(step);
    }
    // The chain ends: no link owns the erasure any more.
    await repository.updateErasure(this.deps.db, hash, job.id, { job_id: null });
  }

  /** Runs one step; false when it ran out of time and must go on in the next link. */
  private async runStep(step: string, accountId: string, row: ErasureRow, deadline: number): Promise<boolean> {
    const { db, keyRing, blobs, tombstones, sqlite, batchSize } = this.deps;
    if (step.startsWith('rows:')) {
      const table = step.slice('rows:'.length) as keyof Database;
      for (;;) {
        const deleted = await deleteAccountRows(db, table, accountId, batchSize);
        if (deleted < batchSize) return true;
        if (performance.now() > deadline) return false;
        // better-sqlite3 runs each batch on the event loop: let waiting requests in between batches, so
        // that a large erasure does not hold everyone else's sign-ins for a whole slice.
        await yieldToRequests();
      }
    }
    switch (step) {
      case 'data_key':
        await keyRing.destroy(accountId);
        return true;
      case 'tombstone_log':
        await tombstones.append({
          account: row.account_hash,
          deletedAt: iso(row.deleted_at ?? row.requested_at),
          releaseDevices: row.release_devices === 1,
        });
        return true;
      case 'audit':
        // Staff records: the audit's own, and the four-eyes approvals that name a staff member.
        await this.deps.db.transaction().execute(async (trx) => {
          await forgetAccountInAudit(trx, accountId);
          await this.deps.unlock.forgetStaff(trx, accountId);
        });
        return true;
      case 'blobs':
        await blobs.deleteAllForAccount(accountId);
        return true;
      case 'account':
        await this.deps.accounts.deleteErased(accountId);
        return true;
      case 'sweep':
        await keyRing.destroy(accountId);
        await blobs.deleteAllForAccount(accountId);
        return true;
      case 'checkpoint': {
        const [result] = sqlite!.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        // Another process reading the database holds the WAL; the job is retried (with backoff) until it is free.
        if (result?.busy)
          throw new Error(
            'the SQLite WAL is busy (another process reads the database); the checkpoint will be retried',
          );
        return true;
      }
      default:
        throw new Error(`unknown erasure step ${step}`);
    }
  }

  /** The end of a grace period: the account leaves `deletion_scheduled` for `erasing`, unless it was cancelled. */
  private async begin(row: ErasureRow, jobId: string): Promise<boolean> {
    const { db, repository, webhooks, apps, clock } = this.deps;
    const accountId = row.account_id!;
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      if (!(await repository.startScheduled(trx, row.account_hash, jobId, now))) return false;
      await this.deps.accounts.moveForDeletion(trx, accountId, ['deletion_scheduled', 'active'], 'erasing', now);
      await this.deps.sessions.endAll(trx, accountId);
      await this.deps.verification.forgetAccount(trx, accountId);
      const released = row.release_devices ? await this.deps.devices.releaseLocksOf(trx, accountId) : 0;
      await announceDeletion(trx, { webhooks, apps }, row.account_hash, accountId, now);
      await writeAudit(trx, {
        at: now,
        action: 'account.deleted',
        subject: row.account_hash,
        detail: { gracePeriodEnded: true, releasedLocks: released },
      });
      await repository.updateErasure(trx, row.account_hash, jobId, { steps: JSON.stringify(['begin']) });
      row.deleted_at = now;
      return true;
    });
  }

  private async finish(row: ErasureRow, jobId: string, steps: string[]): Promise<boolean> {
    const { db, repository, clock } = this.deps;
    const now = clock.now();
    return db.transaction().execute(async (trx) => {
      // What stays is the tombstone: the hash, the times, the steps. The account id goes.
      const finished = await repository.updateErasure(trx, row.account_hash, jobId, {
        status: 'erased',
        account_id: null,
        completed_at: now,
        steps: JSON.stringify(steps),
      });
      if (finished)
        await writeAudit(trx, { at: now, action: 'account.erased', subject: row.account_hash, detail: { steps } });
      return finished;
    });
  }

  /** Records progress and queues the next link, in one transaction: exactly one link owns the erasure. */
  private async handOver(hash: string, jobId: string, done: string[]): Promise<void> {
    const { db, repository, clock } = this.deps;
    const next = uuidv7();
    await db.transaction().execute(async (trx) => {
      if (!(await repository.updateErasure(trx, hash, jobId, { steps: JSON.stringify(done), job_id: next }))) return;
      await this.enqueue(trx, hash, next, clock.now());
    });
  }
}
