import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // How many times a job was started and never reported back (its worker died, or it outlived its
  // lease): a job that took its process down twice is parked as failed instead of started a third time.
  await db.schema
    .alterTable('jobs')
    .addColumn('unfinished_starts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('unfinished_starts').execute();
}
