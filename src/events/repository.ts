import type { Db, Executor, SecurityEventRow } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const EVENT_ACCOUNT_ROWS: AccountRows = { feature: 'events', tables: ['security_events', 'known_clients'] };

/** SQL for security events and the clients an account has been seen from. */
export class SecurityEventRepository {
  constructor(private readonly db: Db) {}

  async create(executor: Executor, row: SecurityEventRow): Promise<void> {
    await this.pendingCreate(row, executor).execute();
  }

  /** The insert of an event, to be run with other writes (see db/atomic.ts). */
  pendingCreate(row: SecurityEventRow, executor: Executor = this.db) {
    return executor.insertInto('security_events').values(row);
  }

  async list(accountId: string, limit: number): Promise<SecurityEventRow[]> {
    return this.db
      .selectFrom('security_events')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Remembers a client for an account; true when it had not been seen before. */
  async createKnownClient(executor: Executor, accountId: string, clientLookup: string, now: number): Promise<boolean> {
    const result = await executor
      .insertInto('known_clients')
      .values({ account_id: accountId, client_lookup: clientLookup, first_seen_at: now })
      .onConflict((oc) => oc.columns(['account_id', 'client_lookup']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }
}
