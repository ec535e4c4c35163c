import type { Db, Executor, UnlockRequestRow, UnlockRequestStatus, UnlockRequestsTable } from '../db/schema.js';

/** SQL for unlock requests. Every change of status is conditional on the status it leaves. */
export class UnlockRequestRepository {
  constructor(private readonly db: Db) {}

  async create(executor: Executor, row: UnlockRequestRow): Promise<void> {
    await executor.insertInto('unlock_requests').values(row).execute();
  }

  async get(id: string, executor: Executor = this.db): Promise<UnlockRequestRow | undefined> {
    return executor.selectFrom('unlock_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first, optionally of one status. */
  async list(status: UnlockRequestStatus | undefined, limit: number): Promise<UnlockRequestRow[]> {
    let query = this.db
      .selectFrom('unlock_requests')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (status) query = query.where('status', '=', status);
    return query.execute();
  }

  /**
   * Newest first, the requests about any of these lock lookups (a JSON array holds each as a quoted
   * string), optionally only those in some statuses.
   */
  async listByLookups(lookups: string[], limit: number, statuses?: UnlockRequestStatus[]): Promise<UnlockRequestRow[]> {
    if (lookups.length === 0) return [];
    let query = this.db
      .selectFrom('unlock_requests')
      .selectAll()
      .where((eb) => eb.or(lookups.map((lookup) => eb('lookups', 'like', `%${JSON.stringify(lookup)}%`))))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (statuses) query = query.where('status', 'in', statuses);
    return query.execute();
  }

  /** Deletes the requests that ended (released or closed) before a time; returns how many. */
  async deleteEndedBefore(time: number): Promise<number> {
    const result = await this.db
      .deleteFrom('unlock_requests')
      .where((eb) => eb.or([eb('released_at', '<', time), eb('closed_at', '<', time)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Moves a request on from one of the statuses in `from`; false when it was in none of them (another
   * decision came first). Of concurrent decisions on one request, exactly one moves it.
   */
  async transition(
    executor: Executor,
    id: string,
    from: UnlockRequestStatus[],
    patch: Partial<Omit<UnlockRequestsTable, 'id'>>,
  ): Promise<boolean> {
    const result = await executor
      .updateTable('unlock_requests')
      .set(patch)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
