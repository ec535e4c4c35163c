import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per deleted (or scheduled) account, keyed by a keyed hash of its id. While the erasure runs
  // it also holds the account id, which the erasure needs; once done, only the hash, the times and the
  // steps completed remain: the tombstone proves the erasure and identifies no one.
  await db.schema
    .createTable('erasures')
    .addColumn('account_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('erase_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .addColumn('completed_at', 'bigint')
    .addColumn('steps', 'text', (c) => c.notNull())
    .addColumn('release_devices', 'integer', (c) => c.notNull())
    // The erasure's current job: a link of the chain that finds another id here is a stale duplicate.
    .addColumn('job_id', 'text')
    // SHA-256 of the single-use token of the cancel link (grace period only).
    .addColumn('cancel_token_hash', 'text', (c) => c.unique())
    .execute();
  await db.schema.createIndex('erasures_account').on('erasures').column('account_id').execute();

  // Decisions and irreversible acts, without personal data: subjects are keyed hashes.
  await db.schema
    .createTable('audit_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_records_subject').on('audit_records').columns(['subject', 'at']).execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    // JSON array of event types.
    .addColumn('events', 'text', (c) => c.notNull())
    // The whsec_ signing secret, sealed under a server key bound to the endpoint id.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    // The webhook-id header: the same for every try of one event to one endpoint, so receivers can de-duplicate.
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_endpoint')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_event')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'event_id'])
    .unique()
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['webhook_deliveries', 'webhook_endpoints', 'audit_records', 'erasures']) {
    await db.schema.dropTable(table).execute();
  }
}
