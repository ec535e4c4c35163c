import { sql } from 'kysely';
import type { DialectName } from '../db/database.js';
import type { Db, Executor, JobRow } from '../db/schema.js';

export interface NewJob {
  id: string;
  kind: string;
  payload: string;
  accountId: string | null;
  runAt: number;
  maxAttempts: number;
  createdAt: number;
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
   * Leases up to `limit` due jobs to one worker and counts the attempt now, so that a worker that
   * crashes mid-job still used up an attempt. PostgreSQL skips rows another worker holds; SQLite has a
   * single writer, so the update is atomic as it stands.
   */
  async claim(workerId: string, now: number, leaseMs: number, limit: number): Promise<JobRow[]> {
    let due = this.db
      .selectFrom('jobs')
      .select('id')
      .where('failed_at', 'is', null)
      .where('run_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
      .orderBy('run_at')
      .limit(limit);
    if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
    return this.db
      .updateTable('jobs')
      .set({ locked_by: workerId, locked_until: now + leaseMs, attempts: sql`attempts + 1` })
      .where('id', 'in', due)
      .returningAll()
      .execute();
  }

  /** Removes a finished job, only while this worker still holds its lease. */
  async delete(id: string, workerId: string): Promise<void> {
    await this.db.deleteFrom('jobs').where('id', '=', id).where('locked_by', '=', workerId).execute();
  }

  /** Puts a job back for a later try, or marks it failed for good. */
  async reschedule(id: string, workerId: string, update: { runAt: number; error: string; failedAt: number | null }): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ run_at: update.runAt, last_error: update.error, failed_at: update.failedAt, locked_by: null, locked_until: null })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
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
}
