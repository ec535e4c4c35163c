import { Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './schema.js';
import * as foundation from './migrations/2026-11-23-foundation.js';
import * as devices from './migrations/2026-11-24-devices.js';
import * as cloud from './migrations/2026-11-25-cloud.js';
import * as recovery from './migrations/2026-11-26-recovery.js';
import * as sealedProfile from './migrations/2026-11-27-sealed-profile.js';
import * as deletion from './migrations/2026-11-28-deletion.js';
import * as sealedOrigins from './migrations/2026-11-29-sealed-origins.js';
import * as unlockRequests from './migrations/2026-11-30-unlock-requests.js';
import * as apps from './migrations/2026-12-01-apps.js';
import * as twoStep from './migrations/2026-12-02-two-step.js';
import * as appsClients from './migrations/2026-12-03-apps-clients.js';
import * as jobStarts from './migrations/2026-12-03-job-starts.js';
import * as creditsBootloader from './migrations/2026-12-04-credits-bootloader.js';
import * as accountLockLinks from './migrations/2026-12-05-account-lock-links.js';
import * as oidcWebSessions from './migrations/2026-12-05-oidc-web-sessions.js';
import * as pendingRecoveries from './migrations/2026-12-06-pending-recoveries.js';
import * as staff from './migrations/2026-12-07-staff.js';
import * as creditExpiryWebhookOverlap from './migrations/2026-12-08-credit-expiry-webhook-overlap.js';
import { sealedOnly, type MigrationKeyRing } from './migrations/2026-12-08-sealed-only.js';
import * as unlockProofs from './migrations/2026-12-08-unlock-proofs.js';
import * as scaleIndexes from './migrations/2026-12-09-scale-indexes.js';
import * as authChanges from './migrations/2026-12-10-auth-changes.js';

// Listed explicitly (not read from the folder) so that the compiled build and tsx agree on the set.
// Append new migrations at the end; names sort by date. One needs the key ring (it seals what it moves).
const migrations = (keyRing: MigrationKeyRing | undefined): Record<string, Migration> => ({
  '2026-11-23-foundation': foundation,
  '2026-11-24-devices': devices,
  '2026-11-25-cloud': cloud,
  '2026-11-26-recovery': recovery,
  '2026-11-27-sealed-profile': sealedProfile,
  '2026-11-28-deletion': deletion,
  '2026-11-29-sealed-origins': sealedOrigins,
  '2026-11-30-unlock-requests': unlockRequests,
  '2026-12-01-apps': apps,
  '2026-12-02-two-step': twoStep,
  '2026-12-03-apps-clients': appsClients,
  '2026-12-03-job-starts': jobStarts,
  '2026-12-04-credits-bootloader': creditsBootloader,
  '2026-12-05-account-lock-links': accountLockLinks,
  '2026-12-05-oidc-web-sessions': oidcWebSessions,
  '2026-12-06-pending-recoveries': pendingRecoveries,
  '2026-12-07-staff': staff,
  '2026-12-08-credit-expiry-webhook-overlap': creditExpiryWebhookOverlap,
  '2026-12-08-sealed-only': sealedOnly(keyRing),
  '2026-12-08-unlock-proofs': unlockProofs,
  '2026-12-09-scale-indexes': scaleIndexes,
  '2026-12-10-auth-changes': authChanges,
});

export interface MigrateOptions {
  /**
   * The key ring, for a migration that seals rows it moves. Without one, such a migration refuses to run
   * when it finds rows to seal (a database from before it, migrated by `lanyard migrate`); the server
   * migrates with it at start.
   */
  keyRing?: MigrationKeyRing;
  /** Stops after this migration: a test builds a database as an older version left it. */
  upTo?: string;
}

/** Brings the schema up to date (or up to `upTo`); returns the names of the migrations it ran. */
export async function migrateToLatest(db: Db, options: MigrateOptions = {}): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(options.keyRing) };
  // Kysely finds its bookkeeping tables in any schema unless told which one; another schema's tables
  // (each test app has its own) would then hide ours and the migration would fail.
  const onPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const schema = onPostgres
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = options.upTo ? await migrator.migrateTo(options.upTo) : await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Kysely's introspection lists the tables of every schema; a schema dropped meanwhile by another
    // process (3F000, invalid_schema_name) fails that listing. Nothing was migrated then: try again.
    const vanishedSchema = (error as { code?: string }).code === '3F000' && schema !== undefined;
    if (!vanishedSchema || attempt === 3) throw error instanceof Error ? error : new Error(String(error));
  }
}
