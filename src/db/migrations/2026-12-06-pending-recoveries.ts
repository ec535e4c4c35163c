import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // A password recovery without the second factor: the new password waits here (as its argon2id hash)
  // until the waiting period ends, while every address of the account is told and may cancel it with
  // the link of that notice. One per account; only a hash of the cancel link's token is kept.
  await db.schema
    .createTable('pending_recoveries')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('completes_at', 'bigint', (c) => c.notNull())
    .addColumn('cancel_hash', 'text', (c) => c.notNull().unique())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pending_recoveries').execute();
}
