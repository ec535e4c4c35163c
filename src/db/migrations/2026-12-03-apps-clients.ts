import type { Kysely } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application.

export async function up(db: Kysely<any>): Promise<void> {
  // What kind of OAuth client an app is: 'web' (confidential, with a secret), 'native' or 'spa'
  // (public: PKCE only, no secret, which a phone app or a page could not keep).
  await db.schema
    .alterTable('oauth_apps')
    .addColumn('type', 'text', (c) => c.notNull().defaultTo('web'))
    .execute();
  // JSON array: where RP-initiated logout may send the browser back to.
  await db.schema
    .alterTable('oauth_apps')
    .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  // 1 for the maker's own apps: no consent page.
  await db.schema
    .alterTable('oauth_apps')
    .addColumn('first_party', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // 1 when the app must bind its tokens to a key (DPoP) / push its requests first (PAR).
  await db.schema
    .alterTable('oauth_apps')
    .addColumn('require_dpop', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('oauth_apps')
    .addColumn('require_par', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('oauth_apps').addColumn('logo_uri', 'text').execute();
  // A disabled app is unknown to the provider (no sign-in, no token) but keeps its registration.
  await db.schema.alterTable('oauth_apps').addColumn('disabled_at', 'bigint').execute();
  // When the app last got tokens (the staff list shows it).
  await db.schema.alterTable('oauth_apps').addColumn('last_used_at', 'bigint').execute();

  // Signing keys rotate: a new key is published at once, signs from sign_from on, and the old one is
  // dropped from the key set at retire_at (after every token it signed has expired).
  await db.schema.alterTable('oidc_signing_keys').addColumn('sign_from', 'bigint').execute();
  await db.schema.alterTable('oidc_signing_keys').addColumn('retire_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of [
    'type',
    'post_logout_redirect_uris',
    'first_party',
    'require_dpop',
    'require_par',
    'logo_uri',
    'disabled_at',
    'last_used_at',
  ]) {
    await db.schema.alterTable('oauth_apps').dropColumn(column).execute();
  }
  for (const column of ['sign_from', 'retire_at'])
    await db.schema.alterTable('oidc_signing_keys').dropColumn(column).execute();
}
