import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // The files a requester uploads as proof (a receipt's photo, an invoice's PDF). The bytes are in the
  // blob store, sealed under the unlock-request key and bound to the request and the file; this row only
  // says what the bytes are. Like the request, it never names an account: it goes with its request.
  await db.schema
    .createTable('unlock_request_proofs')
    .addColumn('request_id', 'text', (c) => c.notNull().references('unlock_requests.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    // What the bytes are, as sniffed from them (never the client's Content-Type).
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('unlock_request_proofs_pk', ['request_id', 'id'])
    .execute();
  // Four eyes: approving a request whose device is in lost mode takes two different staff members. The
  // first approval is kept here (who and when) until a second staff member completes it.
  await db.schema.alterTable('unlock_requests').addColumn('first_approved_by', 'text').execute();
  await db.schema.alterTable('unlock_requests').addColumn('first_approved_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('unlock_requests').dropColumn('first_approved_at').execute();
  await db.schema.alterTable('unlock_requests').dropColumn('first_approved_by').execute();
  await db.schema.dropTable('unlock_request_proofs').execute();
}
