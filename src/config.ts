import path from 'node:path';
import { parseS3Url } from './blobs/s3-url.js';

/** Everything Lanyard reads from its environment, parsed once and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `postgres://…` for PostgreSQL; undefined means SQLite in the data folder. */
  readonly databaseUrl: string | undefined;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly smsWebhookUrl: string | undefined;
  readonly baseUrl: string;
  readonly rateLimit: boolean;
  readonly redisUrl: string | undefined;
  /**
   * `postgres://…` of the key ring's own database (LANYARD_KEYRING_URL), which processes on several
   * machines share, with the tombstones; undefined means the key ring file and tombstone log in the data folder.
   */
  readonly keyringUrl: string | undefined;
  readonly unlockWaitSeconds: number;
  /** Hours a device must have been linked to its account before it may ask for a bootloader unlock. */
  readonly bootloaderWaitHours: number;
  /** Hours a password recovery without the second factor waits, with notices to every address, before it takes effect. */
  readonly recoveryWaitHours: number;
  /** Captcha difficulty: the largest secret counter of an ALTCHA challenge (see src/captcha/service.ts). */
  readonly captchaMaxCounter: number;
  /** 32 bytes, from LANYARD_MASTER_KEY (base64 or hex); undefined means the key file in the data folder. */
  readonly masterKey: Buffer | undefined;
  readonly logLevel: string;
  /** Whether `serve` also runs the job worker in the same process. */
  readonly runWorker: boolean;
  /** Whether X-Forwarded-For is trusted (only behind a proxy that sets it). */
  readonly trustProxy: boolean;
  readonly session: {
    readonly idleSeconds: number;
    readonly absoluteSeconds: number;
    /** Session checks kept in memory (LANYARD_SESSION_CACHE_SIZE, about 0.7 KB each); 0 reads every check from the database. */
    readonly cacheSize: number;
  };
  readonly deletion: {
    /** Days between a confirmed deletion and its erasure, during which the owner may cancel; 0 erases at once. */
    readonly graceDays: number;
    /** Rows deleted per statement while erasing (LANYARD_ERASURE_BATCH_SIZE): small batches keep other writers waiting less. */
    readonly erasureBatchSize: number;
  };
  readonly webhooks: {
    /**
     * Whether webhook URLs may point at this machine (localhost, 127/8, ::1): for development only
     * (LANYARD_WEBHOOKS_ALLOW_LOOPBACK). Private, link-local and metadata addresses stay refused.
     */
    readonly allowLoopback: boolean;
  };
  /** How long a worker holds a job before another may take it over (LANYARD_JOB_LEASE_S): how soon work resumes after a crash. */
  readonly jobLeaseSeconds: number;
  readonly operations: {
    /** Mean event-loop delay past which requests are answered 503 with Retry-After (LANYARD_MAX_EVENT_LOOP_DELAY_MS; 0: never). */
    readonly maxEventLoopDelayMs: number;
    /** How often that delay is sampled (LANYARD_PRESSURE_SAMPLE_MS). */
    readonly pressureSampleMs: number;
    /** The Retry-After of an overloaded answer (LANYARD_OVERLOAD_RETRY_AFTER_S). */
    readonly overloadRetryAfterSeconds: number;
    /** When set, GET /metrics asks for `Authorization: Bearer <it>` (LANYARD_METRICS_TOKEN). */
    readonly metricsToken: string | undefined;
    /** How long a stopping process waits for the jobs in hand before giving their leases back (LANYARD_SHUTDOWN_JOB_WAIT_MS). */
    readonly shutdownJobWaitMs: number;
  };
  readonly cloud: {
    /** Bytes of cloud data one account may keep (LANYARD_QUOTA_BYTES). */
    readonly quotaBytes: number;
    /** Largest photo accepted (LANYARD_MAX_PHOTO_BYTES). */
    readonly maxPhotoBytes: number;
    /** `s3://KEY:SECRET@host:port/bucket?region=…` (or `s3+http://…`); undefined means blobs on disk in the data folder. */
    readonly s3Url: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/** Parses the environment into a Config, listing every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    // Digits only: Number() would also take "0x50", "1e3" and "8080.0", which nobody means as a port.
    const value = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(
          `${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${parsed.protocol}")`,
        );
      }
    } catch {
      problems.push(`${name} is not a URL`);
    }
    return raw;
  };
  const onOff = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['on', 'true', '1', 'yes'].includes(raw)) return true;
    if (['off', 'false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be "on" or "off" (got "${env[name]}")`);
    return fallback;
  };

  const port = integer('LANYARD_PORT', 8080, 0, 65535);
  const host = env.LANYARD_HOST || '127.0.0.1';
  const databaseUrl = url('LANYARD_DATABASE_URL', ['postgres:', 'postgresql:']);
  const smtpUrl = url('LANYARD_SMTP_URL', ['smtp:', 'smtps:']);
  const smsWebhookUrl = url('LANYARD_SMS_WEBHOOK_URL', ['http:', 'https:']);
  const redisUrl = url('LANYARD_REDIS_URL', ['redis:', 'rediss:']);
  const keyringUrl = url('LANYARD_KEYRING_URL', ['postgres:', 'postgresql:']);
  const baseUrl = (url('LANYARD_BASE_URL', ['http:', 'https:']) ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');

  let masterKey: Buffer | undefined;
  const rawKey = env.LANYARD_MASTER_KEY;
  if (rawKey) {
    masterKey = /^[0-9a-f]{64}$/i.test(rawKey) ? Buffer.from(rawKey, 'hex') : Buffer.from(rawKey, 'base64');
    if (masterKey.length !== 32) problems.push('LANYARD_MASTER_KEY must be 32 bytes, as 64 hex digits or base64');
  }

  const config: Config = {
    port,
    host,
    dataDir: path.resolve(env.LANYARD_DATA_DIR || './data'),
    databaseUrl,
    smtpUrl,
    mailFrom: env.LANYARD_MAIL_FROM || 'Lanyard <no-reply@lanyard.invalid>',
    smsWebhookUrl,
    baseUrl,
    rateLimit: onOff('LANYARD_RATE_LIMIT', true),
    redisUrl,
    keyringUrl,
    unlockWaitSeconds: integer('LANYARD_UNLOCK_WAIT_S', 259200, 0, 365 * 86400),
    bootloaderWaitHours: integer('LANYARD_BOOTLOADER_WAIT_H', 168, 0, 24 * 365),
    recoveryWaitHours: integer('LANYARD_RECOVERY_WAIT_H', 168, 1, 24 * 90),
    captchaMaxCounter: integer('LANYARD_CAPTCHA_MAX_COUNTER', 2000, 2, 1_000_000),
    masterKey,
    logLevel: env.LANYARD_LOG_LEVEL || 'info',
    runWorker: onOff('LANYARD_WORKER', true),
    trustProxy: onOff('LANYARD_TRUST_PROXY', false),
    session: {
      idleSeconds: integer('LANYARD_SESSION_IDLE_S', 14 * 86400, 60, 365 * 86400),
      absoluteSeconds: integer('LANYARD_SESSION_ABSOLUTE_S', 90 * 86400, 60, 3650 * 86400),
      cacheSize: integer('LANYARD_SESSION_CACHE_SIZE', 100_000, 0, 10_000_000),
    },
    deletion: {
      graceDays: integer('LANYARD_DELETION_GRACE_DAYS', 0, 0, 365),
      erasureBatchSize: integer('LANYARD_ERASURE_BATCH_SIZE', 500, 1, 100_000),
    },
    webhooks: { allowLoopback: onOff('LANYARD_WEBHOOKS_ALLOW_LOOPBACK', false) },
    jobLeaseSeconds: integer('LANYARD_JOB_LEASE_S', 300, 1, 86400),
    operations: {
      maxEventLoopDelayMs: integer('LANYARD_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 600_000),
      pressureSampleMs: integer('LANYARD_PRESSURE_SAMPLE_MS', 1000, 10, 60_000),
      overloadRetryAfterSeconds: integer('LANYARD_OVERLOAD_RETRY_AFTER_S', 5, 1, 3600),
      metricsToken: env.LANYARD_METRICS_TOKEN || undefined,
      shutdownJobWaitMs: integer('LANYARD_SHUTDOWN_JOB_WAIT_MS', 8000, 0, 600_000),
    },
    cloud: {
      quotaBytes: integer('LANYARD_QUOTA_BYTES', 5 * 1024 ** 3, 0, 2 ** 50),
      maxPhotoBytes: integer('LANYARD_MAX_PHOTO_BYTES', 25 * 1024 ** 2, 1024, 1024 ** 3),
      s3Url: url('LANYARD_S3_URL', ['s3:', 's3+http:']),
    },
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LANYARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  if (config.cloud.s3Url && URL.canParse(config.cloud.s3Url)) {
    try {
      parseS3Url(config.cloud.s3Url);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (
    keyringUrl &&
    databaseUrl &&
    URL.canParse(keyringUrl) &&
    URL.canParse(databaseUrl) &&
    sameDatabase(keyringUrl, databaseUrl)
  ) {
    // A backup of the main database would then hold the keys that open it, and restoring it would bring
    // back the keys of erased accounts: the whole point of a key ring apart.
    problems.push('LANYARD_KEYRING_URL must name a database other than LANYARD_DATABASE_URL');
  }
  if (keyringUrl && !rawKey) {
    // Each data folder would make a master.key of its own, and no process could open another's keys.
    problems.push(
      'LANYARD_KEYRING_URL needs LANYARD_MASTER_KEY: every process that shares the key ring must wrap keys with the same master key',
    );
  }
  if (config.session.absoluteSeconds < config.session.idleSeconds) {
    problems.push('LANYARD_SESSION_ABSOLUTE_S must not be shorter than LANYARD_SESSION_IDLE_S');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** Whether two PostgreSQL URLs name the same database on the same server (credentials aside). */
function sameDatabase(a: string, b: string): boolean {
  const key = (raw: string) => {
    const url = new URL(raw);
    return `${url.hostname || url.searchParams.get('host') || 'localhost'}:${url.port || '5432'}/${decodeURIComponent(url.pathname.slice(1))}`;
  };
  return key(a) === key(b);
}

/**
 * Where a PostgreSQL URL points, for the start-up banner, without its credentials: `127.0.0.1:5432,
 * database lanyard`, or the socket folder when the host is one (percent-encoded, or as `?host=`).
 */
export function describePostgresUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const host = decodeURIComponent(url.hostname) || url.searchParams.get('host') || 'localhost';
  const name = decodeURIComponent(url.pathname.slice(1));
  const where = host.startsWith('/') ? `the Unix socket in ${host}` : url.host || host;
  return name ? `${where}, database ${name}` : where;
}

/**
 * The configuration once the server knows its real port (LANYARD_PORT=0 asks the system for a free one):
 * the default base URL then names that port instead of 0, so links in messages and the OpenAPI servers work.
 */
export function withPort(port: number, env: Env = process.env): Config {
  return loadConfig({ ...env, LANYARD_PORT: String(port) });
}
