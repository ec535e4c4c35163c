import { sql } from 'kysely';
import type { CloudItemRow, Db, Executor } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const CLOUD_ACCOUNT_ROWS: AccountRows = {
  feature: 'cloud',
  tables: ['cloud_items', 'cloud_exports', 'cloud_accounts'],
};

export type Collection = CloudItemRow['collection'];

// Rows per statement in a batch: 12 columns × 250 stays far under both databases' limits on bound values.
const BATCH_SLICE = 250;

/** SQL for cloud items and the per-account change counter and quota. */
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
    const row = await executor
      .selectFrom('cloud_accounts')
      .select('used_bytes')
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row ? Number(row.used_bytes) : 0;
  }

  /** The item as stored, tombstones included. */
  async get(
    executor: Executor,
    accountId: string,
    collection: Collection,
    itemId: string,
  ): Promise<CloudItemRow | undefined> {
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
  async listChanged(
    accountId: string,
    collection: Collection,
    afterSeq: number,
    limit: number,
  ): Promise<CloudItemRow[]> {
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

  /** Live items of one collection, most recently changed first, before `beforeSeq` (all when undefined). */
  async listNewest(
    accountId: string,
    collection: Collection,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<CloudItemRow[]> {
    let query = this.db
      .selectFrom('cloud_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('deleted', '=', 0);
    if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
    return query.orderBy('seq', 'desc').limit(limit).execute();
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
  async listLive(
    accountId: string,
    collection: Collection,
    afterItemId: string | undefined,
    limit: number,
  ): Promise<CloudItemRow[]> {
    let query = this.db
      .selectFrom('cloud_items')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('deleted', '=', 0);
    if (afterItemId !== undefined) query = query.where('item_id', '>', afterItemId);
    return query.orderBy('item_id').limit(limit).execute();
  }

  /** Locks the account's counter row for the transaction and reads it (a batch takes its seqs later). */
  async lockAccount(trx: Executor, accountId: string, now: number): Promise<{ lastSeq: number; usedBytes: number }> {
    const row = await trx
      .updateTable('cloud_accounts')
      .set({ updated_at: now })
      .where('account_id', '=', accountId)
      .returning(['last_seq', 'used_bytes'])
      .executeTakeFirstOrThrow();
    return { lastSeq: Number(row.last_seq), usedBytes: Number(row.used_bytes) };
  }

  /** Moves the account's counter to `lastSeq` and its usage by `deltaBytes`, once per batch. */
  async advance(trx: Executor, accountId: string, lastSeq: number, deltaBytes: number): Promise<void> {
    await trx
      .updateTable('cloud_accounts')
      .set({ last_seq: lastSeq, used_bytes: sql`used_bytes + ${deltaBytes}` })
      .where('account_id', '=', accountId)
      .execute();
  }

  /** The stored items among these ids, tombstones included. */
  async getMany(
    executor: Executor,
    accountId: string,
    collection: Collection,
    itemIds: string[],
  ): Promise<CloudItemRow[]> {
    const rows: CloudItemRow[] = [];
    // In slices: SQLite takes at most 32,766 bound values in a statement, and a batch holds 1,000 ids.
    for (let i = 0; i < itemIds.length; i += BATCH_SLICE) {
      const slice = itemIds.slice(i, i + BATCH_SLICE);
      rows.push(
        ...(await executor
          .selectFrom('cloud_items')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('collection', '=', collection)
          .where('item_id', 'in', slice)
          .execute()),
      );
    }
    return rows;
  }

  /** Writes items' new states (new items, new versions, tombstones) in multi-row upserts. */
  async saveMany(trx: Executor, rows: CloudItemRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += BATCH_SLICE) {
      await trx
        .insertInto('cloud_items')
        .values(rows.slice(i, i + BATCH_SLICE))
        .onConflict((oc) =>
          oc.columns(['account_id', 'collection', 'item_id']).doUpdateSet((eb) => ({
            version: eb.ref('excluded.version'),
            seq: eb.ref('excluded.seq'),
            updated_at: eb.ref('excluded.updated_at'),
            deleted: eb.ref('excluded.deleted'),
            body: eb.ref('excluded.body'),
            blob_name: eb.ref('excluded.blob_name'),
            content_type: eb.ref('excluded.content_type'),
            size: eb.ref('excluded.size'),
            thumbnail: eb.ref('excluded.thumbnail'),
          })),
        )
        .execute();
    }
  }

  /** Whether an item of the collection changed after `afterSeq` and before `beforeSeq` (both excluded). */
  async changedBetween(
    executor: Executor,
    accountId: string,
    collection: Collection,
    afterSeq: number,
    beforeSeq: number,
  ): Promise<boolean> {
    const row = await executor
      .selectFrom('cloud_items')
      .select('seq')
      .where('account_id', '=', accountId)
      .where('collection', '=', collection)
      .where('seq', '>', afterSeq)
      .where('seq', '<', beforeSeq)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
