import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // One row per captcha payload accepted, keyed by a hash of its challenge's signature: the primary key
  // is what makes "accepted once" hold under concurrent submissions of the same payload. Rows are only
  // needed until the challenge expires (after that the captcha is refused as expired anyway).
  await db.schema
    .createTable('accepted_captchas')
    .addColumn('challenge_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accepted_captchas_expiry').on('accepted_captchas').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('accepted_captchas').execute();
}
