import type { Executor, PendingRecoveriesTable } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const RECOVERY_ACCOUNT_ROWS: AccountRows = { feature: 'recovery', tables: ['pending_recoveries'] };

/** SQL for password recoveries waiting out their period (one per account). */
export const pendingRecoveries = {
  /** Puts a waiting recovery in place of the account's previous one, if any. */
  async replace(executor: Executor, row: PendingRecoveriesTable): Promise<void> {
    await executor.deleteFrom('pending_recoveries').where('account_id', '=', row.account_id).execute();
    await executor.insertInto('pending_recoveries').values(row).execute();
  },

  /** The account's waiting recovery, if it is still the one asked for at `requestedAt`. */
  get(executor: Executor, accountId: string, requestedAt: number): Promise<PendingRecoveriesTable | undefined> {
    return executor
      .selectFrom('pending_recoveries')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('requested_at', '=', requestedAt)
      .executeTakeFirst();
  },

  async delete(executor: Executor, accountId: string): Promise<void> {
    await executor.deleteFrom('pending_recoveries').where('account_id', '=', accountId).execute();
  },

  /** Deletes the recovery whose cancel link has this hash; of concurrent uses one gets the account back. */
  async deleteByCancelHash(executor: Executor, cancelHash: string): Promise<string | undefined> {
    const row = await executor
      .deleteFrom('pending_recoveries')
      .where('cancel_hash', '=', cancelHash)
      .returning('account_id')
      .executeTakeFirst();
    return row?.account_id;
  },
};
