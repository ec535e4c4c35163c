import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // A grant may expire: at that time an `expiry` entry takes away what is left of it (a job), so the
  // ledger stays append-only and its sum stays the balance.
  await db.schema.alterTable('credit_entries').addColumn('expires_at', 'bigint').execute();
  // A rotated webhook signing secret keeps signing, beside the new one, until previous_secret_until:
  // receivers that still hold it go on verifying deliveries while they switch (Standard Webhooks lets
  // the webhook-signature header carry several signatures). Sealed like the current secret.
  await db.schema.alterTable('webhook_endpoints').addColumn('previous_secret', 'text').execute();
  await db.schema.alterTable('webhook_endpoints').addColumn('previous_secret_until', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_endpoints').dropColumn('previous_secret_until').execute();
  await db.schema.alterTable('webhook_endpoints').dropColumn('previous_secret').execute();
  await db.schema.alterTable('credit_entries').dropColumn('expires_at').execute();
}
