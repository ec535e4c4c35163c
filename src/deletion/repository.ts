import type { Db, ErasureRow, Executor } from '../db/schema.js';

/**
 * Tables with an account_id column that the erasure keeps, and why. Every other such table is erased: its
 * feature declares it (AccountRows, src/db/account-rows.ts) and src/app.ts lists it in ERASED_ACCOUNT_ROWS;
 * a test fails when a table is in neither, so that a new feature's table cannot be forgotten.
 */
export const KEPT_TABLES: Record<string, string> = {
  device_locks: 'a lock the owner chose to keep stays past the deletion (erased only when released)',
  erasures: 'the tombstone; its account_id is cleared when the erasure completes',
  audit_records:
    "staff records stay under the account's keyed hash; the erasure's audit step clears account_id, actor_id and reason",
};

/**
 * SQL for deletion: the erasures (tombstones) only. The account row is moved and deleted through
 * AccountService, the erasure's jobs through JobService, and other features' rows through AccountRows.
 */
export class DeletionRepository {
  constructor(private readonly db: Db) {}

  async getErasure(accountHash: string, executor: Executor = this.db): Promise<ErasureRow | undefined> {
    return executor.selectFrom('erasures').selectAll().where('account_hash', '=', accountHash).executeTakeFirst();
  }

  async getErasureByCancelToken(executor: Executor, tokenHash: string): Promise<ErasureRow | undefined> {
    return executor.selectFrom('erasures').selectAll().where('cancel_token_hash', '=', tokenHash).executeTakeFirst();
  }

  /** Records an erasure, replacing an earlier one of the same account (a tombstone applied again). */
  async saveErasure(executor: Executor, row: ErasureRow): Promise<void> {
    const { account_hash: _key, ...rest } = row;
    await executor
      .insertInto('erasures')
      .values(row)
      .onConflict((oc) => oc.column('account_hash').doUpdateSet(rest))
      .execute();
  }

  /**
   * Changes an erasure only while the given job still owns it: of two links of one erasure's job chain
   * (a stale one run again after a crash), only the current one may move it on.
   */
  async updateErasure(
    executor: Executor,
    accountHash: string,
    jobId: string,
    patch: Partial<Omit<ErasureRow, 'account_hash'>>,
  ): Promise<boolean> {
    const result = await executor
      .updateTable('erasures')
      .set(patch)
      .where('account_hash', '=', accountHash)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Starts a scheduled erasure whose grace period ended, unless it was cancelled meanwhile. */
  async startScheduled(executor: Executor, accountHash: string, jobId: string, now: number): Promise<boolean> {
    const result = await executor
      .updateTable('erasures')
      .set({ status: 'erasing', deleted_at: now, cancel_token_hash: null })
      .where('account_hash', '=', accountHash)
      .where('job_id', '=', jobId)
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Cancels a scheduled erasure; false when it already started or was cancelled. */
  async deleteScheduled(executor: Executor, accountHash: string): Promise<boolean> {
    const result = await executor
      .deleteFrom('erasures')
      .where('account_hash', '=', accountHash)
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Erasures that are not finished: what a start or the doctor looks at. */
  /**
   * Erasures not done yet: before their tombstone, or erased with their chain not ended (on SQLite the WAL
   * checkpoint comes after the tombstone; a crash can also come between the tombstone and the chain's end).
   */
  async listUnfinished(): Promise<ErasureRow[]> {
    return this.db
      .selectFrom('erasures')
      .selectAll()
      .where((eb) => eb.or([eb('status', '!=', 'erased'), eb('job_id', 'is not', null)]))
      .execute();
  }

  async listTombstoneHashes(): Promise<string[]> {
    const rows = await this.db.selectFrom('erasures').select('account_hash').where('status', '=', 'erased').execute();
    return rows.map((r) => r.account_hash);
  }
}
