import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // The IP address and client of sessions and security events, sealed under the account's data key
  // (src/events/sealed-origin.ts). Rows written from now on keep '' in ip and client; older rows are
  // sealed by a backfill at start, which has the key ring that a migration lacks.
  for (const table of ['sessions', 'security_events']) {
    await db.schema.alterTable(table).addColumn('origin_sealed', 'text').execute();
  }
}
