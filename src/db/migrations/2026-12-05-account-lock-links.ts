import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // "Lock my account" links sent in the new sign-in and address-changed notices, for a person whose
  // password was just taken and who may have no session left. Only a keyed hash of the token is kept,
  // so that a copy of this table locks nobody's account; consumed_at makes each link single-use.
  await db.schema
    .createTable('account_lock_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema.createIndex('account_lock_links_account').on('account_lock_links').columns(['account_id']).execute();
  await db.schema.createIndex('account_lock_links_expiry').on('account_lock_links').columns(['expires_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_lock_links').execute();
}
