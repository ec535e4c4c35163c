import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // The email, phone and name, sealed under the account's data key (base64 of AES-256-GCM bound to the
  // account id and the field). Destroying that key at deletion then makes every copy unreadable at once:
  // dead tuples, WAL, free pages, replicas and backups. Lookups keep using the blind indexes
  // (email_lookup, phone_lookup). A migration cannot seal (it has no key ring): existing rows are sealed
  // by the backfill at app start (src/accounts/backfill.ts), which then sets the plaintext columns to
  // NULL. The plaintext columns stay, always NULL, until a later migration drops them.
  await db.schema.alterTable('accounts').addColumn('email_sealed', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('phone_sealed', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('name_sealed', 'text').execute();
  // A device's name often names its owner ("Ana's phone"). devices.name is NOT NULL and SQLite cannot
  // relax that without rebuilding the table, so it is kept as '' once the name is sealed here.
  // devices.last_location needs no column: it is sealed in place (sealed text never starts with '{').
  await db.schema.alterTable('devices').addColumn('name_sealed', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('devices').dropColumn('name_sealed').execute();
  for (const column of ['name_sealed', 'phone_sealed', 'email_sealed']) {
    await db.schema.alterTable('accounts').dropColumn(column).execute();
  }
}
