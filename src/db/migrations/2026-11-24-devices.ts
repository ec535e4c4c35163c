import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('devices')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    // Keyed hash of the normalized serial; the serial itself is not kept, only its last characters.
    .addColumn('serial_lookup', 'text', (c) => c.notNull())
    .addColumn('serial_hint', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // The session that is this device's token; null once the token was revoked (erased device).
    .addColumn('session_id', 'text')
    .addColumn('linked_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    // One column, so that sealing it with the account's data key later changes one place.
    .addColumn('last_location', 'text')
    .addPrimaryKeyConstraint('devices_pk', ['account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('devices_serial')
    .on('devices')
    .columns(['account_id', 'serial_lookup'])
    .unique()
    .execute();
  await db.schema.createIndex('devices_session').on('devices').columns(['account_id', 'session_id']).execute();

  // Keyed by the hash of a serial or IMEI: the activation check must find a lock from the serial alone.
  // No foreign key to accounts: a lock may be kept past the account's deletion on purpose.
  await db.schema
    .createTable('device_locks')
    .addColumn('lookup', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('locked_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('device_locks_account').on('device_locks').columns(['account_id', 'device_id']).execute();

  await db.schema
    .createTable('device_commands')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addPrimaryKeyConstraint('device_commands_pk', ['account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('device_commands_device')
    .on('device_commands')
    .columns(['account_id', 'device_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['device_commands', 'device_locks', 'devices']) {
    await db.schema.dropTable(table).execute();
  }
}
