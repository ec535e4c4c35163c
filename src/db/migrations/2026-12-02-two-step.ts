import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // One authenticator app (TOTP) per account. The shared secret is sealed under the account's data key,
  // so that erasing the key leaves nothing that computes the person's codes. last_step is the RFC 6238
  // time step of the last accepted code: a code is never accepted twice (replay).
  await db.schema
    .createTable('totp_factors')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    // Null until the first code confirms the enrolment: an unconfirmed secret is no factor yet.
    .addColumn('confirmed_at', 'bigint')
    .addColumn('last_step', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  // Passkeys (WebAuthn credentials). The public key is no secret; the name the person gave is sealed.
  await db.schema
    .createTable('passkeys')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    // base64url credential id, as the authenticator reports it; unique across accounts.
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull())
    .addColumn('transports', 'text', (c) => c.notNull())
    .addColumn('name_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addPrimaryKeyConstraint('passkeys_pk', ['account_id', 'id'])
    .execute();
  await db.schema.createIndex('passkeys_credential').on('passkeys').column('credential_id').unique().execute();

  // Recovery codes, as keyed hashes; used_at set once, by a conditional update (single use under races).
  await db.schema
    .createTable('recovery_codes')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('recovery_codes_pk', ['account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('recovery_codes_hash')
    .on('recovery_codes')
    .columns(['account_id', 'code_hash'])
    .execute();

  // Short-lived, single-use challenges: a sign-in waiting for its second factor, a WebAuthn ceremony.
  // The id is a hash of what the client holds (the challenge id, or the WebAuthn challenge), so that a
  // copy of this table answers no challenge. account_id is null for a passwordless passkey sign-in,
  // where the account is known only from the passkey.
  await db.schema
    .createTable('two_step_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('session_kind', 'text')
    // The WebAuthn challenge the options carried, when the purpose has one.
    .addColumn('webauthn_challenge', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('consumed_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('two_step_challenges_account')
    .on('two_step_challenges')
    .columns(['account_id'])
    .execute();
  await db.schema.createIndex('two_step_challenges_expiry').on('two_step_challenges').columns(['expires_at']).execute();

  // "Lock my account": while a row is here no sign-in opens the account; password recovery removes it.
  await db.schema
    .createTable('account_locks')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('locked_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['account_locks', 'two_step_challenges', 'recovery_codes', 'passkeys', 'totp_factors']) {
    await db.schema.dropTable(table).execute();
  }
}
