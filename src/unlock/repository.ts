import type { Selectable } from 'kysely';
import type {
  Db,
  Executor,
  UnlockRequestProofsTable,
  UnlockRequestRow,
  UnlockRequestStatus,
  UnlockRequestsTable,
} from '../db/schema.js';

export type UnlockRequestProofRow = Selectable<UnlockRequestProofsTable>;

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

  /** The ids of the requests that ended (released or closed) before a time. */
  async endedBefore(time: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('unlock_requests')
      .select('id')
      .where((eb) => eb.or([eb('released_at', '<', time), eb('closed_at', '<', time)]))
      .execute();
    return rows.map((row) => row.id);
  }

  /** Deletes requests and their proofs' rows (their blobs go first, by the caller); returns how many requests. */
  async deleteRequests(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('unlock_request_proofs').where('request_id', 'in', ids).execute();
      const result = await trx.deleteFrom('unlock_requests').where('id', 'in', ids).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async addProof(executor: Executor, row: UnlockRequestProofRow): Promise<void> {
    await executor.insertInto('unlock_request_proofs').values(row).execute();
  }

  /** A request's proofs, oldest first. */
  async proofsOf(requestId: string, executor: Executor = this.db): Promise<UnlockRequestProofRow[]> {
    return executor
      .selectFrom('unlock_request_proofs')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async getProof(requestId: string, id: string): Promise<UnlockRequestProofRow | undefined> {
    return this.db
      .selectFrom('unlock_request_proofs')
      .selectAll()
      .where('request_id', '=', requestId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Four eyes: records the first approval of a submitted request that has none yet; false when another
   * decision or first approval came first.
   */
  async recordFirstApproval(executor: Executor, id: string, staffId: string, at: number): Promise<boolean> {
    const result = await executor
      .updateTable('unlock_requests')
      .set({ first_approved_by: staffId, first_approved_at: at })
      .where('id', '=', id)
      .where('status', '=', 'submitted')
      .where('first_approved_by', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * A staff member is erased: their id leaves every request. A first approval still awaiting its second
   * is withdrawn (the request needs two approvals by current staff again); on a request decided since,
   * only the name goes and the time of the approval stays. Returns the ids of the withdrawn ones.
   */
  async forgetApprover(executor: Executor, staffId: string): Promise<string[]> {
    const withdrawn = await executor
      .updateTable('unlock_requests')
      .set({ first_approved_by: null, first_approved_at: null })
      .where('first_approved_by', '=', staffId)
      .where('status', '=', 'submitted')
      .returning('id')
      .execute();
    await executor
      .updateTable('unlock_requests')
      .set({ first_approved_by: null })
      .where('first_approved_by', '=', staffId)
      .execute();
    return withdrawn.map((r) => r.id);
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
