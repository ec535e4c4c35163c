import { sql } from 'kysely';
import type { Db, Executor, VerificationCodeRow } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const VERIFICATION_ACCOUNT_ROWS: AccountRows = { feature: 'verification', tables: ['verification_codes'] };

/** SQL for verification codes: one table for every purpose. */
export class VerificationCodeRepository {
  constructor(private readonly db: Db) {}

  async create(executor: Executor, row: VerificationCodeRow): Promise<void> {
    await executor.insertInto('verification_codes').values(row).execute();
  }

  /** Retires every open code of a purpose and subject: a new request replaces the previous code. */
  async retireOpen(executor: Executor, purpose: string, subjectLookup: string, now: number): Promise<void> {
    await executor
      .updateTable('verification_codes')
      .set({ consumed_at: now })
      .where('purpose', '=', purpose)
      .where('subject_lookup', '=', subjectLookup)
      .where('consumed_at', 'is', null)
      .execute();
  }

  /** The newest open code of a purpose and subject. */
  async getLatestOpen(purpose: string, subjectLookup: string): Promise<VerificationCodeRow | undefined> {
    return this.db
      .selectFrom('verification_codes')
      .selectAll()
      .where('purpose', '=', purpose)
      .where('subject_lookup', '=', subjectLookup)
      .where('consumed_at', 'is', null)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async get(id: string): Promise<VerificationCodeRow | undefined> {
    return this.db.selectFrom('verification_codes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Counts one attempt, only while attempts remain and the code is open and unexpired. Returns false when
   * no attempt was left: counting before comparing means concurrent guesses cannot exceed the limit.
   */
  async countAttempt(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('verification_codes')
      .set({ attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .whereRef('attempts', '<', 'max_attempts')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Consumes a code once: of any number of concurrent callers, exactly one gets true. */
  async consume(executor: Executor, id: string, now: number): Promise<boolean> {
    const result = await executor
      .updateTable('verification_codes')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Removes codes that expired before `before`; the sweep job calls it. */
  async deleteOfAccount(executor: Executor, accountId: string): Promise<void> {
    await executor.deleteFrom('verification_codes').where('account_id', '=', accountId).execute();
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.db.deleteFrom('verification_codes').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
