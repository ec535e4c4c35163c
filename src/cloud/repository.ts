import { sql } from 'kysely';
import type { CloudExportRow, CloudItemRow, Db, Executor } from '../db/schema.js';

export type Collection = CloudItemRow['collection'];

/** SQL for cloud items, the per-account change counter and quota, and exports. */
export class CloudRepository {
  constructor(private readonly db: Db) {}

  /** Makes sure the account has its counter row; cheap when it exists. */
  async ensureAccount(executor: Executor, accountId: string, now: number): Promise<void> {
    await executor
      .insertInto('cloud_accounts')
      .values({ account_id: accountId, last_seq: 0, used_bytes: 0, updated_at: now })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
  }

  /**
   * Takes the account's next seq. Being an update of the account's one row, it holds that row's lock until
   * the transaction ends: the account's writes run one after the other, so seqs become visible in order
   * (a reader never skips one that commits late) and the quota check that follows sees the true usage.
   */
  async nextSeq(trx: Executor, accountId: string, now: number): Promise<{ seq: number; usedBytes: number }> {
    const row = await trx
      .updateTable('cloud_accounts')
      .set({ last_seq: sql`last_seq + 1`, updated_at: now })
      .where('account_id', '=', accountId)
      .returning(['last_seq', 'used_bytes'])
      .executeTakeFirstOrThrow();
    return { seq: Number(row.last_seq), usedBytes: Number(row.used_bytes) };
  }

  async addUsage(trx: Executor, accountId: string, deltaBytes: number): Promise<void> {
    await trx
      .updateTable('cloud_accounts')
      .set({ used_bytes: sql`used_bytes + ${deltaBytes}` })
      .where('account_id', '=', accountId)
      .execute();
  }

  async usedBytes(executor: Executor, accountId: string): Promise<number> {
    const row = await executor.selectFrom('cloud_accounts').select('used_bytes').where('account_id', '=', accountId).executeTakeFirst();
    return row ? Number(row.used_bytes) : 0;
  }

  /** The item as stored, tombstones included. */
  async get(executor: Executor, accountId: string, collection: Collection, itemId: string): Promise<CloudItemRow | undefined> {
    return executor
      .selectFrom('cloud_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('item_id', '=', itemId)
      .executeTakeFirst();
  }

  /** Writes the item's new state (a new item, a new version, or a tombstone). */
  async save(trx: Executor, row: CloudItemRow, exists: boolean): Promise<void> {
    if (!exists) {
      await trx.insertInto('cloud_items').values(row).execute();
      return;
    }
    const { account_id, collection, item_id, ...rest } = row;
    await trx
      .updateTable('cloud_items')
      .set(rest)
      .where('account_id', '=', account_id)
      .where('collection', '=', collection)
      .where('item_id', '=', item_id)
      .execute();
  }

  /** Items of one collection changed after `afterSeq`, oldest change first. */
  async listChanged(accountId: string, collection: Collection, afterSeq: number, limit: number): Promise<CloudItemRow[]> {
    return this.db
      .selectFrom('cloud_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
  }

  /** Live items and their bytes, per collection. */
  async usage(accountId: string): Promise<Array<{ collection: Collection; count: number; bytes: number }>> {
    const rows = await this.db
      .selectFrom('cloud_items')
      .select(['collection', (eb) => eb.fn.countAll().as('count'), (eb) => eb.fn.sum('size').as('bytes')])
      .where('account_id', '=', accountId)
      .where('deleted', '=', 0)
      .groupBy('collection')
      .execute();
    return rows.map((r) => ({ collection: r.collection, count: Number(r.count), bytes: Number(r.bytes ?? 0) }));
  }

  /** Records the thumbnail of a photo, unless the photo changed meanwhile; true when recorded. */
  async markThumbnail(accountId: string, itemId: string, blobName: string): Promise<boolean> {
    const result = await this.db
      .updateTable('cloud_items')
      .set({ thumbnail: 1 })
      .where('account_id', '=', accountId)
      .where('collection', '=', 'photos')
      .where('item_id', '=', itemId)
      .where('blob_name', '=', blobName)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Every live item of a collection, in id order, a page at a time (export). */
  async listLive(accountId: string, collection: Collection, afterItemId: string | undefined, limit: number): Promise<CloudItemRow[]> {
    let query = this.db
      .selectFrom('cloud_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('deleted', '=', 0);
    if (afterItemId !== undefined) query = query.where('item_id', '>', afterItemId);
    return query.orderBy('item_id').limit(limit).execute();
  }

  async createExport(executor: Executor, row: CloudExportRow): Promise<void> {
    await executor.insertInto('cloud_exports').values(row).execute();
  }

  async getExport(accountId: string, id: string): Promise<CloudExportRow | undefined> {
    return this.db.selectFrom('cloud_exports').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  }

  /** The export still being made for the account, if any. */
  async getPendingExport(executor: Executor, accountId: string): Promise<CloudExportRow | undefined> {
    return executor.selectFrom('cloud_exports').selectAll().where('account_id', '=', accountId).where('status', '=', 'pending').executeTakeFirst();
  }

  async updateExport(accountId: string, id: string, changes: Partial<Omit<CloudExportRow, 'account_id' | 'id'>>, executor: Executor = this.db): Promise<void> {
    await executor.updateTable('cloud_exports').set(changes).where('account_id', '=', accountId).where('id', '=', id).execute();
  }
}
