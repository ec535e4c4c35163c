import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

// Found with a million seeded accounts (bench/scale.ts, `lanyard seed`): the hourly session sweep
// (SessionRepository.deleteExpired: expired, or idle and not a device token) read every session, four
// million rows at a million accounts, while holding SQLite's write lock. With these it reads the sessions it
// deletes: each branch of its OR has an index (SQLite's OR optimisation and PostgreSQL's BitmapOr).
// The session touch that moves last_used_at happens at most once a minute per session.
// And the unfinished erasures a start and `lanyard doctor` look for are found without reading every
// tombstone of every account ever erased.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_expiry').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('sessions_idle').on('sessions').column('last_used_at').execute();
  await db.schema.createIndex('erasures_status').on('erasures').column('status').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['erasures_status', 'sessions_idle', 'sessions_expiry'])
    await db.schema.dropIndex(index).execute();
}
