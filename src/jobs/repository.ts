import { sql } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Db, Executor, JobRow } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const JOB_ACCOUNT_ROWS: AccountRows = { feature: 'jobs', tables: ['jobs'] };

export interface NewJob {
  id: string;
  kind: string;
  payload: string;
  accountId: string | null;
  runAt: number;
  maxAttempts: number;
  createdAt: number;
}

/**
 * One claim of one job: the worker and the attempt it counted. A worker whose lease ran out may finish
 * late, after another worker (or itself, in a later poll) claimed the job again; matching the attempt
 * too keeps that late finish from deleting or rescheduling the newer claim.
 */
export interface Lease {
  workerId: string;
  attempt: number;
}

/** SQL for the durable job table. */
export class JobRepository {
  constructor(
    private readonly db: Db,
    private readonly dialect: DialectName,
  ) {}

  async create(executor: Executor, job: NewJob): Promise<void> {
    await executor
      .insertInto('jobs')
      .values({
        id: job.id,
        kind: job.kind,
        payload: job.payload,
        account_id: job.accountId,
        run_at: job.runAt,
        attempts: 0,
        max_attempts: job.maxAttempts,
        locked_by: null,
        locked_until: null,
        last_error: null,
        failed_at: null,
        created_at: job.createdAt,
      })
      .execute();
  }

  /**
   * Leases up to `limit` due jobs of the given kinds to one worker and counts the attempt now, so that a
   * worker that crashes mid-job still used up an attempt (a job that kills its worker cannot loop for
   * ever). PostgreSQL skips rows another worker is claiming; SQLite has a single writer, so the update is
   * atomic as it stands.
   */
  async claim(
    workerId: string,
    kinds: readonly string[],
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<JobRow[]> {
    if (kinds.length === 0) return [];
    let due = this.db
      .selectFrom('jobs')
      .select('id')
      .where('failed_at', 'is', null)
      .where('run_at', '<=', now)
      .where('kind', 'in', kinds)
      .where((eb) => eb('attempts', '<', eb.ref('max_attempts')))
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .orderBy('run_at')
      .limit(limit);
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    return (
      this.db
        .updateTable('jobs')
        // A row still locked is one whose previous start never reported back: that start is counted as
        // unfinished before this one begins, so that the mark is durable even if this start crashes too.
        .set({
          locked_by: workerId,
          locked_until: now + leaseMs,
          attempts: sql`attempts + 1`,
          unfinished_starts: sql`unfinished_starts + (case when locked_by is null then 0 else 1 end)`,
        })
        .where('id', 'in', due)
        .returningAll()
        .execute()
    );
  }

  /**
   * Marks failed, and returns, the jobs whose lease ran out while their worker never reported back (it
   * died mid-job), when that was their last allowed attempt or their second unfinished start: a job that
   * took its process down twice is not started a third time. claim() no longer picks them up.
   */
  async failAbandoned(now: number): Promise<JobRow[]> {
    const park = (reason: string, which: 'last-attempt' | 'second-crash') =>
      this.db
        .updateTable('jobs')
        .set({ failed_at: now, last_error: reason, locked_by: null, locked_until: null })
        .where('failed_at', 'is', null)
        .where('locked_until', '<', now)
        .where((eb) =>
          which === 'second-crash' ? eb('unfinished_starts', '>=', 1) : eb('attempts', '>=', eb.ref('max_attempts')),
        )
        .returningAll()
        .execute();
    const crashed = await park(
      'the job stopped its worker twice (a crash or a run past its lease); it is not started again',
      'second-crash',
    );
    const last = await park('the worker stopped during the last attempt', 'last-attempt');
    return [...crashed, ...last];
  }

  /** Removes a finished job, only while this claim still holds its lease. */
  async delete(id: string, lease: Lease): Promise<boolean> {
    const result = await this.db
      .deleteFrom('jobs')
      .where('id', '=', id)
      .where('locked_by', '=', lease.workerId)
      .where('attempts', '=', lease.attempt)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Removes a job whatever its state, in the caller's transaction (its owner no longer wants it run). */
  async remove(executor: Executor, id: string): Promise<void> {
    await executor.deleteFrom('jobs').where('id', '=', id).execute();
  }

  /** Whether a job is still due to run: it exists and has not failed for good. */
  async isPending(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('id', '=', id)
      .where('failed_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Puts a job back for a later try, or marks it failed for good, only while this claim holds it. */
  async reschedule(
    id: string,
    lease: Lease,
    update: { runAt: number; error: string; failedAt: number | null },
  ): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({
        run_at: update.runAt,
        last_error: update.error,
        failed_at: update.failedAt,
        locked_by: null,
        locked_until: null,
      })
      .where('id', '=', id)
      .where('locked_by', '=', lease.workerId)
      .where('attempts', '=', lease.attempt)
      .execute();
  }

  async get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(filter: { kind?: string; failed?: boolean } = {}): Promise<JobRow[]> {
    let query = this.db.selectFrom('jobs').selectAll().orderBy('created_at');
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.failed !== undefined) query = query.where('failed_at', filter.failed ? 'is not' : 'is', null);
    return query.execute();
  }
  /**
   * Gives back the leases a stopping worker still holds, without counting the attempt: the process is
   * leaving on purpose, so another worker may take the job at once instead of after the lease runs out.
   */
  async releaseLeases(workerId: string): Promise<number> {
    const result = await this.db
      .updateTable('jobs')
      .set({ locked_by: null, locked_until: null, attempts: sql`attempts - 1` })
      .where('locked_by', '=', workerId)
      .where('failed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Per kind: jobs waiting (not failed), those due now, the oldest due one's run_at, and failed ones. */
  async queueStats(
    now: number,
  ): Promise<Array<{ kind: string; waiting: number; due: number; oldestDueAt: number | null; failed: number }>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select([
        'kind',
        sql<number>`sum(case when failed_at is null then 1 else 0 end)`.as('waiting'),
        sql<number>`sum(case when failed_at is null and run_at <= ${now} then 1 else 0 end)`.as('due'),
        sql<number | null>`min(case when failed_at is null and run_at <= ${now} then run_at end)`.as('oldest_due_at'),
        sql<number>`sum(case when failed_at is null then 0 else 1 end)`.as('failed'),
      ])
      .groupBy('kind')
      .execute();
    return rows.map((r) => ({
      kind: r.kind,
      waiting: Number(r.waiting),
      due: Number(r.due),
      oldestDueAt: r.oldest_due_at === null ? null : Number(r.oldest_due_at),
      failed: Number(r.failed),
    }));
  }
}
