import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { RateLimits } from './abuse/rate-limits.js';
import { ClientAppTokenVerifier } from './client-apps/access-tokens.js';
import { OidcHost } from './client-apps/host.js';
import { providerPages } from './client-apps/interactions.js';
import { SigningKeys } from './client-apps/keys.js';
import { createOidcProvider } from './client-apps/oidc.js';
import { CLIENT_APP_ACCOUNT_ROWS, ClientAppRepository } from './client-apps/repository.js';
import { apiResourceOf } from './client-apps/scopes.js';
import { noSecondFactor } from './client-apps/second-factor.js';
import { registerClientAppRoutes } from './client-apps/routes.js';
import { ClientAppService } from './client-apps/service.js';
import { AccountRepository } from './accounts/repository.js';
import { registerAccountRoutes } from './accounts/routes.js';
import { STAFF_ACCOUNT_ROWS, StaffRepository } from './admin/repository.js';
import { registerAdminRoutes } from './admin/routes.js';
import { StaffService } from './admin/service.js';
import { AccountService } from './accounts/service.js';
import { AddressChangeUndoLinks } from './accounts/undo-links.js';
import { AcceptedCaptchaRepository } from './captcha/repository.js';
import { BootloaderKeys } from './bootloader/keys.js';
import { BootloaderRepository } from './bootloader/repository.js';
import { registerBootloaderRoutes } from './bootloader/routes.js';
import { BootloaderService } from './bootloader/service.js';
import { CREDIT_ACCOUNT_ROWS, CreditRepository } from './credits/repository.js';
import { registerCreditRoutes } from './credits/routes.js';
import { CreditService } from './credits/service.js';
import { registerCaptchaRoutes } from './captcha/routes.js';
import { CaptchaService } from './captcha/service.js';
import { systemClock, type Clock } from './clock.js';
import { describePostgresUrl, type Config } from './config.js';
import { deriveServerKeys, loadOrCreateMasterKey } from './crypto/keys.js';
import { FileKeyRing, type KeyRing } from './crypto/keyring.js';
import { PostgresKeyRing } from './crypto/postgres-keyring.js';
import { openBlobStore } from './blobs/open.js';
import type { BlobStore } from './blobs/store.js';
import { CloudBatchService } from './cloud/batch.js';
import { Metrics } from './ops/metrics.js';
import { PostgresRelay, RedisRelay } from './ops/relay.js';
import { registerOperations } from './ops/routes.js';
import { CLOUD_ACCOUNT_ROWS, CloudRepository } from './cloud/repository.js';
import { registerCloudRoutes } from './cloud/routes.js';
import { CloudService } from './cloud/service.js';
import { registerExportRoutes } from './export/routes.js';
import { ExportRepository } from './export/repository.js';
import { ExportService } from './export/service.js';
import { DeviceCommandService } from './devices/commands.js';
import { DEVICE_ACCOUNT_ROWS, DEVICE_LOCK_ROWS, DeviceRepository } from './devices/repository.js';
import { registerDeviceRoutes } from './devices/routes.js';
import { OriginSealer } from './events/sealed-origin.js';
import { DeviceService, DeviceSignals } from './devices/service.js';
import { warmUpPasswords } from './crypto/passwords.js';
import { openDatabase, type DatabaseHandle, type DatabaseOptions } from './db/database.js';
import { PostgresAuthChanges, SqliteAuthChanges, type AuthChanges } from './db/auth-changes.js';
import type { AccountRows } from './db/account-rows.js';
import { RECOVERY_ACCOUNT_ROWS } from './recovery/repository.js';
import { migrateToLatest } from './db/migrate.js';
import { EVENT_ACCOUNT_ROWS, SecurityEventRepository } from './events/repository.js';
import { SecurityEventService } from './events/service.js';
import { createGuards, enforceDeclaredAccess } from './http/auth.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import { JOB_ACCOUNT_ROWS, JobRepository } from './jobs/repository.js';
import { JobService, type JobsOptions } from './jobs/service.js';
import { MessageService } from './messaging/service.js';
import {
  ChannelRouter,
  DevOutboxTransport,
  SmsWebhookTransport,
  SmtpTransport,
  type MessageTransport,
} from './messaging/transports.js';
import { registerPortal } from './portal/register.js';
import { registerRecoveryRoutes } from './recovery/routes.js';
import { ErasureRunner } from './deletion/erasure.js';
import { DeletionRepository } from './deletion/repository.js';
import { registerDeletionRoutes } from './deletion/routes.js';
import { DeletionService } from './deletion/service.js';
import { PostgresTombstones, TombstoneLog, type Tombstones } from './deletion/tombstone-log.js';
import { WebhookRepository } from './webhooks/repository.js';
import { WebhookService, webhookSecretKey } from './webhooks/service.js';
import { RecoveryService } from './recovery/service.js';
import { SessionIssuer } from './sessions/issuer.js';
import { SESSION_ACCOUNT_ROWS, SessionRepository } from './sessions/repository.js';
import { SessionEnding } from './sessions/ending.js';
import { SessionCache } from './sessions/session-cache.js';
import { registerSessionRoutes } from './sessions/routes.js';
import { SessionService } from './sessions/service.js';
import { VERIFICATION_ACCOUNT_ROWS, VerificationCodeRepository } from './verification/repository.js';
import { UnlockRequestRepository } from './unlock/repository.js';
import { registerUnlockRoutes } from './unlock/routes.js';
import { UnlockRequestService } from './unlock/service.js';
import { VerificationService } from './verification/service.js';
import { AccountLockLinks } from './two-step/lock-links.js';
import { PasskeyCeremonies, relyingPartyOf } from './two-step/passkeys.js';
import { TWO_STEP_ACCOUNT_ROWS, TwoStepRepository } from './two-step/repository.js';
import { registerTwoStepRoutes } from './two-step/routes.js';
import { recoveryCodeKey, TwoStepService } from './two-step/service.js';

export const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface AppOptions {
  config: Config;
  clock?: Clock;
  /** Replaces the configured transports (tests capture messages this way). */
  transport?: MessageTransport;
  /** Overrides where the database is (tests: SQLite in memory, or a PostgreSQL schema of their own). */
  database?: DatabaseOptions;
  logger?: FastifyBaseLogger | false;
  jobs?: JobsOptions;
  /** Replaces the key ring file in the data folder (a KMS, say). */
  keyRing?: KeyRing;
}

/** The whole server, wired: what `lanyard serve` runs and what tests build. */
export interface App {
  readonly config: Config;
  readonly http: HttpServer;
  readonly database: DatabaseHandle;
  readonly jobs: JobService;
  /** Per-account data keys, kept apart from the database. */
  readonly keyRing: KeyRing;
  /** The deletions to apply again after a restore of the database, kept apart from it. */
  readonly tombstones: Tombstones;
  readonly blobs: BlobStore;
  readonly services: {
    cloud: CloudService;
    exports: ExportService;
    accounts: AccountService;
    sessions: SessionService;
    verification: VerificationService;
    events: SecurityEventService;
    messages: MessageService;
    devices: DeviceService;
    deletion: DeletionService;
    webhooks: WebhookService;
    unlock: UnlockRequestService;
    apps: ClientAppService;
    twoStep: TwoStepService;
    oidc: OidcHost;
    signingKeys: SigningKeys;
    credits: CreditService;
    bootloaderKeys: BootloaderKeys;
    staff: StaffService;
  };
  /** Starts the job worker and the periodic sweeps in this process. */
  startWorker(): void;
  close(): Promise<void>;
}

/**
 * Every feature's tables of account rows, in the order an account's erasure empties them: children before
 * parents, sessions last (devices point at theirs). A test fails when a table with an account_id column is
 * neither here nor kept on purpose (KEPT_TABLES, src/deletion/repository.ts).
 */
export const ERASED_ACCOUNT_ROWS: readonly AccountRows[] = [
  CLOUD_ACCOUNT_ROWS,
  DEVICE_ACCOUNT_ROWS,
  EVENT_ACCOUNT_ROWS,
  VERIFICATION_ACCOUNT_ROWS,
  JOB_ACCOUNT_ROWS,
  CLIENT_APP_ACCOUNT_ROWS,
  TWO_STEP_ACCOUNT_ROWS,
  RECOVERY_ACCOUNT_ROWS,
  CREDIT_ACCOUNT_ROWS,
  STAFF_ACCOUNT_ROWS,
  SESSION_ACCOUNT_ROWS,
];

/** The channel (Redis and PostgreSQL alike) on which device signals cross between processes. */
const DEVICE_SIGNALS_CHANNEL = 'lanyard_device_signals';

/** Reads config, opens and migrates the database, builds repositories, services and routes, in that order. */
export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const log: FastifyBaseLogger =
    options.logger === false
      ? pino({ level: 'silent' })
      : (options.logger ??
        pino({ level: config.logLevel, redact: ['*.password', '*.token', '*.authorization', '*.cookie'] }));

  // Configuration → keys and database.
  const keys = deriveServerKeys(config.masterKey ?? loadOrCreateMasterKey(config.dataDir));
  const databaseOptions = options.database ?? {
    url: config.databaseUrl,
    sqlitePath: path.join(config.dataDir, 'lanyard.db'),
  };
  const database = openDatabase(databaseOptions);
  const { db } = database;
  // The key ring and the tombstones: in the data folder, or in a PostgreSQL database of their own that
  // processes on several machines share (LANYARD_KEYRING_URL).
  const sharedKeyRing =
    !options.keyRing && config.keyringUrl
      ? await PostgresKeyRing.open(config.keyringUrl, keys.master, { log })
      : undefined;
  const keyRing =
    options.keyRing ?? sharedKeyRing ?? new FileKeyRing(path.join(config.dataDir, 'keyring.db'), keys.master);
  const tombstoneFile = new TombstoneLog(path.join(config.dataDir, 'tombstones.log'));
  let tombstones: Tombstones = tombstoneFile;
  if (sharedKeyRing) {
    const shared = new PostgresTombstones(
      sharedKeyRing.pool,
      `the key ring database (${describePostgresUrl(config.keyringUrl!)})`,
    );
    // A data folder that kept tombstones before the move: they join the shared ones, or a restore would miss them.
    const imported = await shared.importFrom(tombstoneFile);
    if (imported > 0) log.info({ imported }, 'copied the tombstone log of the data folder to the key ring database');
    tombstones = shared;
    if (fs.existsSync(path.join(config.dataDir, 'keyring.db'))) {
      log.warn(
        { file: path.join(config.dataDir, 'keyring.db') },
        'a key ring file is in the data folder but LANYARD_KEYRING_URL is set: it is not used; copy its keys with `lanyard keys import-file`, then delete it',
      );
    }
  }
  // Migrated once the key ring is open: a migration that moves personal fields seals them under it.
  await migrateToLatest(db, { keyRing });
  // Changes to what a session check reads, from every process (the triggers of 2026-12-10-auth-changes).
  const authChanges: AuthChanges =
    database.dialect === 'sqlite'
      ? new SqliteAuthChanges(database.sqliteReader!, database.sqlite!)
      : await PostgresAuthChanges.open(databaseOptions.url!, log);
  const blobs = await openBlobStore({ dataDir: config.dataDir, s3Url: config.cloud.s3Url });

  // Outside world: message transports and the optional Redis for shared rate limits.
  const outbox = new DevOutboxTransport(config.dataDir, log);
  const transport =
    options.transport ??
    new ChannelRouter({
      email: config.smtpUrl
        ? new SmtpTransport(config.smtpUrl, config.mailFrom, new URL(config.baseUrl).hostname)
        : outbox,
      sms: config.smsWebhookUrl ? new SmsWebhookTransport(config.smsWebhookUrl) : outbox,
    });
  // ioredis loads only when Redis is configured.
  const redis = config.redisUrl
    ? new (await import('ioredis')).Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : undefined;
  redis?.on('error', (error) => log.warn({ err: error }, 'redis unavailable; rate limits fall back to this process'));
  // Without the offline queue, commands sent before the connection is up would fall back to the
  // in-process limiter; wait (briefly) so that instances share limits from their first request.
  if (redis && redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // Signals to devices cross to the other processes through Redis, or else the PostgreSQL database; one
  // SQLite file has one server process, for which the in-process emitter is enough.
  const relay = redis
    ? new RedisRelay({ redis, channel: DEVICE_SIGNALS_CHANNEL, log })
    : databaseOptions.url
      ? new PostgresRelay({ db, url: databaseOptions.url, channel: DEVICE_SIGNALS_CHANNEL, log })
      : undefined;

  // Repositories.
  const accountRepository = new AccountRepository(db, keyRing, authChanges);
  const sessionRepository = new SessionRepository(db, database.sqliteReader, authChanges);
  const verificationRepository = new VerificationCodeRepository(db);
  const eventRepository = new SecurityEventRepository(db);
  const jobRepository = new JobRepository(db, database.dialect);
  const cloudRepository = new CloudRepository(db);
  const deviceRepository = new DeviceRepository(db, keyRing);
  const acceptedCaptchaRepository = new AcceptedCaptchaRepository(db);
  const deletionRepository = new DeletionRepository(db);
  const webhookRepository = new WebhookRepository(db);
  const unlockRequestRepository = new UnlockRequestRepository(db);
  const appRepository = new ClientAppRepository(db);
  // How other features end sessions (a password change, a lock, a suspension, a deletion, an unlinked device).
  const sessionEnding = new SessionEnding(sessionRepository, appRepository);

  // Services.
  const jobs = new JobService({
    repository: jobRepository,
    clock,
    log,
    options: { leaseMs: config.jobLeaseSeconds * 1000, ...options.jobs },
  });
  const messages = new MessageService({ jobs, transport, payloadKey: keys.jobPayload });
  const rateLimits = new RateLimits({ enabled: config.rateLimit, key: keys.rateLimit, redis });
  const origins = new OriginSealer(keyRing);
  const events = new SecurityEventService({ repository: eventRepository, lookupKey: keys.lookup, clock, origins });
  const verification = new VerificationService({
    repository: verificationRepository,
    codeKey: keys.verificationCode,
    lookupKey: keys.lookup,
    clock,
  });
  const issuer = new SessionIssuer({
    repository: sessionRepository,
    lifetimes: { idleMs: config.session.idleSeconds * 1000, absoluteMs: config.session.absoluteSeconds * 1000 },
    clock,
    origins,
  });
  const undoLinks = new AddressChangeUndoLinks({ key: keys.addressChangeUndo, clock, baseUrl: config.baseUrl });
  const twoStepRepository = new TwoStepRepository(db);
  const lockLinks = new AccountLockLinks({
    repository: twoStepRepository,
    key: keys.accountLockLink,
    clock,
    baseUrl: config.baseUrl,
  });
  const accounts = new AccountService({
    db,
    repository: accountRepository,
    sessions: sessionEnding,
    issuer,
    verification,
    messages,
    events,
    rateLimits,
    lookupKey: keys.lookup,
    clock,
    undoLinks,
    lockLinks,
  });
  // The captcha keeps wall-clock time whatever the injected clock: altcha-lib checks expiry against Date.now().
  const captcha = new CaptchaService({
    repository: acceptedCaptchaRepository,
    key: keys.captcha,
    options: { maxCounter: config.captchaMaxCounter },
  });
  const twoStep = new TwoStepService({
    db,
    repository: twoStepRepository,
    accounts,
    sessionEnding,
    events,
    messages,
    rateLimits,
    keyRing,
    passkeys: new PasskeyCeremonies(relyingPartyOf(config.baseUrl)),
    recoveryCodeKey: recoveryCodeKey(keys.master),
    lockLinks,
    lookupKey: keys.lookup,
    clock,
  });
  const sessions = new SessionService({
    db,
    repository: sessionRepository,
    accountService: accounts,
    events,
    messages,
    rateLimits,
    issuer,
    csrfKey: keys.csrf,
    clock,
    captcha,
    dialect: database.dialect,
    origins,
    twoStep,
    ...(config.session.cacheSize > 0 ? { cache: new SessionCache(authChanges, config.session.cacheSize) } : {}),
  });
  const recovery = new RecoveryService({
    db,
    accounts,
    sessions: sessionEnding,
    verification,
    messages,
    events,
    rateLimits,
    captcha,
    clock,
    jobs,
    payloadKey: keys.jobPayload,
    lookupKey: keys.lookup,
    twoStep,
    baseUrl: config.baseUrl,
    waitHours: config.recoveryWaitHours,
  });
  const devices = new DeviceService({
    db,
    repository: deviceRepository,
    accountService: accounts,
    sessions: sessionEnding,
    issuer,
    events,
    messages,
    rateLimits,
    signals: new DeviceSignals(relay),
    lookupKey: keys.lookup,
    clock,
  });
  const deviceCommands = new DeviceCommandService({
    db,
    repository: deviceRepository,
    devices,
    sessions: sessionEnding,
    clock,
  });
  const cloud = new CloudService({
    db,
    repository: cloudRepository,
    keyRing,
    blobs,
    jobs,
    cursorKey: keys.cursor,
    clock,
    limits: config.cloud,
    log,
  });
  const cloudBatch = new CloudBatchService({
    db,
    repository: cloudRepository,
    keyRing,
    cursorKey: keys.cursor,
    clock,
    limits: config.cloud,
  });
  const exports = new ExportService({
    db,
    repository: new ExportRepository(db),
    cloud,
    keyRing,
    blobs,
    jobs,
    clock,
    log,
  });
  const webhooks = new WebhookService({
    db,
    repository: webhookRepository,
    jobs,
    secretKey: webhookSecretKey(keys.master),
    clock,
    log,
    outbound: { allowLoopback: config.webhooks.allowLoopback },
  });
  const signingKeys = new SigningKeys({ repository: appRepository, sealKey: keys.oidc, clock });
  const apiResource = apiResourceOf(config.baseUrl);
  const oidcPages = providerPages({ sessions, clock, secureCookies: config.baseUrl.startsWith('https:') });
  // Set once the apps service exists: the provider asks it whether an app is first-party.
  let firstParty: (clientId: string) => Promise<boolean> = async () => false;
  const oidc = new OidcHost({
    issuer: config.baseUrl,
    keys: signingKeys,
    build: (keySet) =>
      createOidcProvider(db, accounts, keys.oidc, keySet, log, {
        issuer: config.baseUrl,
        secureCookies: config.baseUrl.startsWith('https:'),
        cookieKey: keys.oidcCookie,
        apiResource,
        ...oidcPages,
        firstParty: (clientId) => firstParty(clientId),
      }),
  });
  await oidc.refreshKeys();
  const apps = new ClientAppService({
    repository: appRepository,
    host: oidc,
    jobs,
    events,
    sealKey: keys.oidc,
    payloadKey: keys.jobPayload,
    clock,
    log,
  });
  firstParty = (clientId) => apps.isFirstParty(clientId);
  // Ending a web session ends the apps' sign-ins made through it, in the same transaction.
  sessionRepository.onEnd((executor, accountId, ended) => apps.endWebSessions(executor, accountId, ended));
  const appTokens = new ClientAppTokenVerifier({ host: oidc, repository: appRepository, accounts, apiResource });
  const credits = new CreditService({
    db,
    repository: new CreditRepository(db),
    accounts,
    jobs,
    lookupKey: keys.lookup,
    clock,
    log,
  });
  const bootloaderRepository = new BootloaderRepository(db);
  const bootloaderKeys = new BootloaderKeys({ repository: bootloaderRepository, sealKey: keys.bootloader, clock });
  const bootloader = new BootloaderService({
    db,
    repository: bootloaderRepository,
    keys: bootloaderKeys,
    devices,
    accounts,
    events,
    messages,
    lookupKey: keys.lookup,
    clock,
    waitMs: config.bootloaderWaitHours * 3_600_000,
  });
  const unlock = new UnlockRequestService({
    db,
    repository: unlockRequestRepository,
    devices,
    accounts,
    events,
    messages,
    rateLimits,
    captcha,
    jobs,
    blobs,
    sealKey: keys.unlockRequest,
    lookupKey: keys.lookup,
    clock,
    log,
    options: { waitSeconds: config.unlockWaitSeconds, baseUrl: config.baseUrl },
  });
  const erasure = new ErasureRunner({
    db,
    sqlite: database.sqlite,
    repository: deletionRepository,
    accounts,
    unlock,
    verification,
    devices,
    sessions: sessionEnding,
    apps,
    keyRing,
    blobs,
    webhooks,
    tombstones,
    jobs,
    clock,
    log,
    batchSize: config.deletion.erasureBatchSize,
    accountRows: ERASED_ACCOUNT_ROWS,
    releasedRows: DEVICE_LOCK_ROWS,
  });
  const deletion = new DeletionService({
    db,
    repository: deletionRepository,
    sessions: sessionEnding,
    apps,
    accounts,
    devices,
    cloud,
    verification,
    messages,
    rateLimits,
    webhooks,
    jobs,
    keyRing,
    tombstones,
    erasure,
    credits,
    lookupKey: keys.lookup,
    clock,
    log,
    options: { graceDays: config.deletion.graceDays, baseUrl: config.baseUrl },
  });

  // Jobs: how each kind runs, every kind in one place (src/jobs/kinds.ts maps kinds to payloads; a kind
  // left out here does not compile).
  jobs.registerAll({
    'message.send': (payload, job) => messages.deliver(payload, job.id),
    'recovery.request': (payload, job) => recovery.send(payload, job.id),
    'recovery.finish_waiting': (payload) => recovery.finishWaiting(payload),
    'apps.backchannel_logout': (payload, job) => apps.sendBackchannelLogout(payload, job.id),
    'account.erase': (payload, job) => erasure.run(payload, job),
    'webhook.deliver': (payload) => webhooks.deliver(payload),
    'unlock.release': (payload) => unlock.release(payload),
    'cloud.thumbnail': (payload) => cloud.makeThumbnail(payload),
    'cloud.blob-delete': (payload) => cloud.deleteBlobs(payload),
    'cloud.export': {
      run: (payload) => exports.build(payload),
      onFailed: (payload, reason) => exports.markFailed(payload, reason),
    },
    'cloud.export-expire': (payload) => exports.expire(payload),
    'credits.expire': (payload) => credits.expire(payload),
  });

  const staff = new StaffService({
    db,
    repository: new StaffRepository(db),
    accounts,
    sessions,
    devices,
    events,
    credits,
    unlock,
    twoStep,
    sessionEnding,
    webhooks,
    messages,
    accountHash: (accountId) => deletion.accountHash(accountId),
    lookupKey: keys.lookup,
    clock,
  });

  // Routes.
  const http = createHttpServer({
    logger: log,
    trustProxy: config.trustProxy,
    baseUrl: config.baseUrl,
    version: VERSION,
  });
  const secureCookies = config.baseUrl.startsWith('https:');
  const guards = createGuards(sessions, { secureCookies, appTokens });
  // Before the first route (/v1/openapi.json's own, below): every route's guard runs first and its access level is documented.
  enforceDeclaredAccess(http, guards);
  // @fastify/swagger collects routes in an onRoute hook: it must be loaded before the first route, or /v1/openapi.json lists none.
  await http.after();
  // First, so that overload is refused before any other hook and every route is timed.
  const metrics = new Metrics({
    db,
    jobs,
    jobRepository,
    getErasure: (hash) => deletionRepository.getErasure(hash),
    clock,
  });
  registerOperations(http, {
    db,
    metrics,
    pingRedis: redis ? () => redis.ping() : undefined,
    config: config.operations,
  });
  registerAccountRoutes(http, { accounts, events, guards, secureCookies });
  registerSessionRoutes(http, { sessions, guards, secureCookies });
  registerCaptchaRoutes(http, { captcha });
  registerRecoveryRoutes(http, { recovery });
  registerDeviceRoutes(http, { devices, commands: deviceCommands, guards });
  registerCloudRoutes(http, { cloud, batch: cloudBatch, guards });
  registerExportRoutes(http, { exports, guards });
  registerDeletionRoutes(http, { deletion, guards });
  registerUnlockRoutes(http, { unlock, guards });
  registerTwoStepRoutes(http, { twoStep, sessions, guards, secureCookies });
  registerClientAppRoutes(http, {
    apps,
    host: oidc,
    sessions,
    guards,
    secureCookies,
    baseUrl: config.baseUrl,
    secondFactor: noSecondFactor,
    stateKey: keys.oidc,
    clock,
  });
  registerAdminRoutes(http, { webhooks, unlock, staff, guards });
  registerCreditRoutes(http, { credits, guards });
  registerBootloaderRoutes(http, { bootloader, keys: bootloaderKeys, guards });
  registerPortal(http);
  await http.ready();
  await warmUpPasswords();

  let sweepTimer: NodeJS.Timeout | undefined;
  // Every process that answers the provider's endpoints picks up a rotated key (`lanyard keys rotate`
  // in another process) and a new key's time to sign within a minute.
  const keysTimer = setInterval(
    () =>
      void oidc.refreshKeys().catch((error: unknown) => log.error({ err: error }, 'could not load the signing keys')),
    60_000,
  );
  keysTimer.unref();
  return {
    config,
    http,
    database,
    jobs,
    keyRing,
    tombstones,
    blobs,
    services: {
      cloud,
      exports,
      accounts,
      sessions,
      verification,
      events,
      messages,
      devices,
      deletion,
      webhooks,
      unlock,
      apps,
      twoStep,
      oidc,
      signingKeys,
      credits,
      bootloaderKeys,
      staff,
    },
    startWorker() {
      jobs.start();
      // Tombstones first applied again: an account restored from an old backup must not stay usable.
      deletion
        .reapplyTombstones()
        .catch((error: unknown) => log.error({ err: error }, 'could not apply the tombstones again'));
      const sweep = () =>
        Promise.all([
          sessions.sweepExpired(),
          verification.sweepExpired(),
          captcha.sweepExpired(),
          apps.sweepExpired(),
          unlock.sweepEnded(),
          twoStep.sweepExpired(),
        ]).catch((error: unknown) => log.error({ err: error }, 'expiry sweep failed'));
      void sweep();
      sweepTimer = setInterval(sweep, 60 * 60_000);
      sweepTimer.unref();
    },
    async close() {
      if (sweepTimer) clearInterval(sweepTimer);
      clearInterval(keysTimer);
      // Requests in flight finish (new ones get 503); jobs in hand get a while, then their leases go back.
      // A connection whose request was running when the close began would otherwise stay open for the
      // keep-alive timeout once answered, holding the close back by up to 72 s.
      http.server.keepAliveTimeout = 1;
      await http.close();
      // Session uses gathered for one write (SessionService.flushUses) are written before the database closes.
      await sessions.flushUses({ final: true });
      await jobs.stop(config.operations.shutdownJobWaitMs);
      await transport.close?.();
      await relay?.close();
      redis?.disconnect();
      await authChanges.close();
      await database.close();
      await blobs.close();
      await keyRing.close();
    },
  };
}
