import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // The Lanyard web session an OpenID provider session was last used with (model 'Session' rows only):
  // when the person ends that web session, the apps signed in through it are told (back-channel logout).
  await db.schema.alterTable('oidc_records').addColumn('web_session_id', 'text').execute();
  await db.schema.createIndex('oidc_records_web_session').on('oidc_records').column('web_session_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oidc_records_web_session').execute();
  await db.schema.alterTable('oidc_records').dropColumn('web_session_id').execute();
}
