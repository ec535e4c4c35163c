import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per account that uses the cloud: its change counter and the bytes it stores. Every write
  // of the account updates this row first, which orders the account's writes (and their seq) one after
  // the other, and makes the quota check and the counter change one atomic step.
  await db.schema
    .createTable('cloud_accounts')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // The latest state of every item, deleted ones as tombstones. `seq` is the account's change counter at
  // the item's last change: the rows ordered by seq are the account's change log, compacted to one
  // entry per item, which is what delta sync needs.
  await db.schema
    .createTable('cloud_items')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull())
    // JSON items: sealed under the account's data key (base64). Photos: null; their bytes are in the blob store.
    .addColumn('body', 'text')
    .addColumn('blob_name', 'text')
    .addColumn('content_type', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('thumbnail', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cloud_items_pk', ['account_id', 'collection', 'item_id'])
    .execute();
  await db.schema
    .createIndex('cloud_items_seq')
    .on('cloud_items')
    .columns(['account_id', 'collection', 'seq'])
    .unique()
    .execute();

  await db.schema
    .createTable('cloud_exports')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('blob_name', 'text')
    .addColumn('size', 'bigint')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('cloud_exports_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('cloud_exports_expiry').on('cloud_exports').columns(['expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['cloud_exports', 'cloud_items', 'cloud_accounts']) {
    await db.schema.dropTable(table).execute();
  }
}
