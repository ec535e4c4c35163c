import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // Staff records name who did it and to whom, so that the audit can be searched by staff member and by
  // account. Both ids and the reason (which staff type freely) are cleared by an erasure of either
  // account; the record stays under its keyed-hash subject, without personal data.
  await db.schema.alterTable('audit_records').addColumn('actor_id', 'text').execute();
  await db.schema.alterTable('audit_records').addColumn('account_id', 'text').execute();
  await db.schema.alterTable('audit_records').addColumn('reason', 'text').execute();
  await db.schema.createIndex('audit_records_account').on('audit_records').columns(['account_id', 'at']).execute();
  await db.schema.createIndex('audit_records_actor').on('audit_records').columns(['actor_id', 'at']).execute();
  await db.schema.createIndex('audit_records_at').on('audit_records').columns(['at', 'id']).execute();
  // What a security event says beyond its type (the reason staff gave for looking at the account),
  // sealed under the account's data key like the event's origin.
  await db.schema.alterTable('security_events').addColumn('detail_sealed', 'text').execute();
  // A suspended account: while a row is here nobody signs in to it; only staff restore it.
  await db.schema
    .createTable('account_suspensions')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('suspended_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('account_suspensions').execute();
  await db.schema.alterTable('security_events').dropColumn('detail_sealed').execute();
  for (const index of ['audit_records_at', 'audit_records_actor', 'audit_records_account'])
    await db.schema.dropIndex(index).execute();
  for (const column of ['reason', 'account_id', 'actor_id'])
    await db.schema.alterTable('audit_records').dropColumn(column).execute();
}
