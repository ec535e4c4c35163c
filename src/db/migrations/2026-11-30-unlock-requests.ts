import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // A request to release a device lock, from someone who may have no account. It names the device by
  // keyed hashes of its serial (and IMEI), like device_locks, and never the lock's owner: the owner is
  // found through the lock when needed, so that an owner's erasure leaves nothing of them here.
  await db.schema
    .createTable('unlock_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    // SHA-256 of the status token handed to the requester.
    .addColumn('status_token_hash', 'text', (c) => c.notNull())
    // JSON array of the device_locks lookups the serial (and IMEI) give.
    .addColumn('lookups', 'text', (c) => c.notNull())
    .addColumn('serial_hint', 'text', (c) => c.notNull())
    // The requester's email, proof kind and text, sealed under a server key bound to the request id.
    .addColumn('requester_sealed', 'text', (c) => c.notNull())
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'bigint')
    .addColumn('release_at', 'bigint')
    .addColumn('released_at', 'bigint')
    .addColumn('closed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('unlock_requests_status')
    .on('unlock_requests')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('unlock_requests').execute();
}
