import type { Db, Executor } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const STAFF_ACCOUNT_ROWS: AccountRows = { feature: 'admin', tables: ['account_suspensions'] };

/** SQL of the staff feature: account suspensions. */
export class StaffRepository {
  constructor(private readonly db: Db) {}

  async getSuspension(accountId: string, executor: Executor = this.db): Promise<{ suspended_at: number } | undefined> {
    return executor
      .selectFrom('account_suspensions')
      .select('suspended_at')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
  }

  /** Suspends the account; false when it was suspended already (of two concurrent suspensions, one wins). */
  async createSuspension(executor: Executor, accountId: string, now: number): Promise<boolean> {
    const result = await executor
      .insertInto('account_suspensions')
      .values({ account_id: accountId, suspended_at: now })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Lifts a suspension; false when there was none. */
  async deleteSuspension(executor: Executor, accountId: string): Promise<boolean> {
    const result = await executor
      .deleteFrom('account_suspensions')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
