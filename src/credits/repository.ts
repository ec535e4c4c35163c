import { sql } from 'kysely';
import type { CreditEntriesTable, Db, Executor } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const CREDIT_ACCOUNT_ROWS: AccountRows = { feature: 'credits', tables: ['credit_entries', 'credit_balances'] };

export type CreditEntryRow = CreditEntriesTable;

/** SQL for the credits ledger and its cached balance. */
export class CreditRepository {
  constructor(private readonly db: Db) {}

  /** The ledger's sum: the balance itself, whatever the cached row says. */
  async ledgerSum(accountId: string, executor: Executor = this.db): Promise<number> {
    const row = await executor
      .selectFrom('credit_entries')
      .select(sql<string | number | null>`sum(amount)`.as('total'))
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    // PostgreSQL's sum of a bigint is a numeric, which pg hands over as a string.
    return Number(row?.total ?? 0);
  }

  async cachedBalance(accountId: string, executor: Executor = this.db): Promise<number | undefined> {
    const row = await executor
      .selectFrom('credit_balances')
      .select('balance')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? Number(row.balance) : undefined;
  }

  async findByKey(executor: Executor, accountId: string, idempotencyKey: string): Promise<CreditEntryRow | undefined> {
    return executor
      .selectFrom('credit_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
  }

  /** Newest first, after the cursor (an entry id: ids are time-ordered uuidv7). */
  async page(accountId: string, before: string | undefined, limit: number): Promise<CreditEntryRow[]> {
    let query = this.db.selectFrom('credit_entries').selectAll().where('account_id', '=', accountId);
    if (before !== undefined) query = query.where('id', '<', before);
    return query.orderBy('id', 'desc').limit(limit).execute();
  }

  /** Every entry of the account, in ledger order: what the expiry replays to find what is left of a grant. */
  async all(executor: Executor, accountId: string): Promise<CreditEntryRow[]> {
    return executor
      .selectFrom('credit_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async get(executor: Executor, accountId: string, id: string): Promise<CreditEntryRow | undefined> {
    return executor
      .selectFrom('credit_entries')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Takes the account's balance row for this transaction (an update that changes nothing: PostgreSQL
   * locks the row until commit; SQLite writes one transaction at a time), so that every change of the
   * account's ledger happens one after the other and the ledger's order is the order they committed in.
   */
  async lockBalance(executor: Executor, accountId: string): Promise<void> {
    await executor
      .updateTable('credit_balances')
      .set({ updated_at: sql<number>`updated_at` })
      .where('account_id', '=', accountId)
      .execute();
  }

  async insertEntry(executor: Executor, row: CreditEntryRow): Promise<void> {
    await executor.insertInto('credit_entries').values(row).execute();
  }

  /** Makes the balance row exist (at 0) so that the conditional update below has a row to lock. */
  async ensureBalanceRow(executor: Executor, accountId: string, now: number): Promise<void> {
    await executor
      .insertInto('credit_balances')
      .values({ account_id: accountId, balance: 0, updated_at: now })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
  }

  /**
   * Adds delta to the balance unless it would go below zero, in one statement: concurrent spends queue
   * on the row (PostgreSQL re-checks the condition against the committed row; SQLite writes one at a
   * time), so no interleaving overdraws. Returns whether it changed the balance.
   */
  async applyDelta(executor: Executor, accountId: string, delta: number, now: number): Promise<boolean> {
    const result = await executor
      .updateTable('credit_balances')
      .set({ balance: sql<number>`balance + ${delta}`, updated_at: now })
      .where('account_id', '=', accountId)
      .where(sql<boolean>`balance + ${delta} >= 0`)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
