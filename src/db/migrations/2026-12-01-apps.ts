import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // Apps that sign in with Lanyard (OAuth 2 / OpenID Connect clients), registered by staff.
  await db.schema
    .createTable('oauth_apps')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // JSON arrays.
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    // The client secret, sealed under a server key bound to the client id (the provider compares it).
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    // Where the app is told (OpenID back-channel logout) that a person's account was deleted; optional.
    .addColumn('backchannel_logout_uri', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  // What the OpenID Connect provider (oidc-provider) stores: grants, codes, tokens, sessions and
  // interactions, one JSON payload each. Tokens are found by their id alone, so the key is (model, id);
  // account_id and client_id are copied out of the payload so that one account's grants and tokens can
  // be listed, revoked per app, and erased with the account.
  await db.schema
    .createTable('oidc_records')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('client_id', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    // Milliseconds since the epoch; null never expires.
    .addColumn('expires_at', 'bigint')
    .addColumn('consumed_at', 'bigint')
    .addPrimaryKeyConstraint('oidc_records_pk', ['model', 'id'])
    .execute();
  await db.schema.createIndex('oidc_records_account').on('oidc_records').columns(['account_id', 'client_id']).execute();
  await db.schema.createIndex('oidc_records_grant').on('oidc_records').columns(['grant_id']).execute();
  await db.schema.createIndex('oidc_records_uid').on('oidc_records').columns(['uid']).execute();
  await db.schema.createIndex('oidc_records_user_code').on('oidc_records').columns(['user_code']).execute();
  // The hourly sweep of expired records.
  await db.schema.createIndex('oidc_records_expiry').on('oidc_records').columns(['expires_at']).execute();

  // The provider's signing keys (JWK with the private part), sealed under a server key: every server
  // process signs ID tokens with the same key.
  await db.schema
    .createTable('oidc_signing_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('jwk_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['oidc_signing_keys', 'oidc_records', 'oauth_apps']) {
    await db.schema.dropTable(table).execute();
  }
}
