import { PostgresAdapter, sql } from 'kysely';
import type { Database, Db } from './schema.js';

/**
 * A feature's part of an account's erasure: the tables it owns that hold rows of an account, in the order
 * they are emptied (children before parents). Each feature declares its own beside its repository, and
 * src/app.ts lists them for the erasure (src/deletion/erasure.ts), which empties each table with
 * deleteAccountRows a batch at a time: the erasure never names another feature's table itself.
 */
export interface AccountRows<T extends keyof Database = keyof Database> {
  feature: string;
  tables: readonly T[];
}

/**
 * Deletes up to `limit` rows of the account from one table; returns how many. Bounded statements keep
 * each transaction short (other accounts' writers wait less) and each uses the account_id index.
 */
export async function deleteAccountRows(
  db: Db,
  table: keyof Database,
  accountId: string,
  limit: number,
): Promise<number> {
  const ref = sql.table(table);
  const query =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? sql`delete from ${ref} where ctid in (select ctid from ${ref} where account_id = ${accountId} limit ${limit})`
      : sql`delete from ${ref} where rowid in (select rowid from ${ref} where account_id = ${accountId} limit ${limit})`;
  const result = await query.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
