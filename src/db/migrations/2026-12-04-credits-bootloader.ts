import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // The credits ledger: append-only, one row per grant, spend, refund or expiry, signed (a spend is
  // negative), so that the balance is the sum. Keyed by account first, like every per-account table.
  await db.schema
    .createTable('credit_entries')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // Who made it: 'staff:<account id>' or 'app:<client id>'.
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('credit_entries_pk', ['account_id', 'id'])
    // A retried request with the same key finds the entry it made instead of making a second one.
    .addUniqueConstraint('credit_entries_idempotency', ['account_id', 'idempotency_key'])
    .execute();
  // The balance cached per account: the row a spend updates conditionally (balance >= amount), which
  // serialises concurrent spends of one account on both databases. Checked against the ledger's sum.
  await db.schema
    .createTable('credit_balances')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('balance', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // Ed25519 keys that sign bootloader unlock statements, the private half sealed.
  await db.schema
    .createTable('bootloader_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // Set when a newer key takes over signing; the key stays published until retire_at.
    .addColumn('retire_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bootloader_keys').execute();
  await db.schema.dropTable('credit_balances').execute();
  await db.schema.dropTable('credit_entries').execute();
}
