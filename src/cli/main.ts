import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, describePostgresUrl, loadConfig, withPort, type Config } from '../config.js';
import { AppError } from '../http/errors.js';

// The app, the database drivers and argon2 are imported by the commands that need them, so that usage,
// --version and configuration errors answer at once instead of after loading the whole server.
const VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const USAGE = `lanyard ${VERSION}: the open account platform for device makers

Usage:
  lanyard serve                 start the server (and the job worker, unless LANYARD_WORKER=off)
  lanyard worker                run only the job worker
  lanyard migrate               bring the database schema up to date
  lanyard admin create --email E --password P [--role admin|support]
                                create a staff account (or promote the account with that email)
  lanyard keys rotate [--sign-after-hours H] [--retire-after-hours H]
                                add an OpenID signing key: published at once, signing after H hours
                                (default 24), the old keys retired H hours after that (default 48)
  lanyard keys rotate-bootloader [--retire-after-hours H]
                                add a bootloader unlock key that signs at once; the old keys stay
                                published for devices until retired H hours later (default 720)
  lanyard keys import-file [--file F]
                                copy the data keys of a key ring file (default: keyring.db in the data
                                folder) into the key ring database (LANYARD_KEYRING_URL), before the
                                first start on it; keys of erased accounts are left out
  lanyard export --account ID [--out FILE]
                                write a zip of the account's cloud data, with a progress bar
  lanyard seed --accounts N [--devices-per-account 3] [--contacts 10] [--database URL] [--append]
                                fill the database with N test accounts (each with its devices, locked
                                serials and, for one in ten, contacts), written in bulk; all sign in
                                with one printed password. Refuses a database with accounts unless --append
  lanyard doctor [--vacuum]     report accounts that should not exist (deleted, yet present, e.g.
                                after a backup was restored); exits non-zero if there is any.
                                --vacuum: on SQLite, also rewrite the database and key ring files,
                                so that no copy of erased ids stays in their pages' unused space

Configuration comes from the environment (LANYARD_PORT, LANYARD_DATA_DIR, LANYARD_DATABASE_URL, …); see README.md.`;

/** Asks the system for a free port on the host (LANYARD_PORT=0). */
async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, resolve);
  });
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function describeSetup(config: Config): string {
  const outbox = `the dev outbox (${path.join(config.dataDir, 'outbox.jsonl')})`;
  const database = config.databaseUrl
    ? `PostgreSQL at ${describePostgresUrl(config.databaseUrl)}`
    : `SQLite at ${path.join(config.dataDir, 'lanyard.db')}`;
  const email = config.smtpUrl ? `SMTP at ${new URL(config.smtpUrl).host}` : outbox;
  const sms = config.smsWebhookUrl ? `the webhook at ${new URL(config.smsWebhookUrl).host}` : outbox;
  const keyRing = config.keyringUrl
    ? `PostgreSQL at ${describePostgresUrl(config.keyringUrl)}`
    : `${path.join(config.dataDir, 'keyring.db')}`;
  return `  database: ${database}\n  key ring and tombstones: ${keyRing}\n  email: ${email}\n  SMS: ${sms}\n`;
}

async function serve(withHttp: boolean, args: string[]): Promise<void> {
  if (args.length > 0)
    throw new UsageError(`unexpected argument "${args[0]}"; the server is configured through the environment`);
  let config = loadConfig();
  // Signals are caught from the start: one that arrives while the app starts (a supervisor stopping it
  // right after the URL appears) must still stop it gracefully, not kill it with the default action.
  let stopRequested: string | undefined;
  let stop: ((signal: string) => void) | undefined;
  const onSignal = (signal: string) => {
    // A second signal means the operator will not wait for requests in flight.
    if (stopRequested) process.exit(1);
    stopRequested = signal;
    stop?.(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // The port is chosen before the app is built so that the default base URL (messages, OpenAPI servers)
  // names the real port; another process could take it in between, which listen then reports.
  if (withHttp && config.port === 0) config = withPort(await freePort(config.host));
  const { createApp } = await import('../app.js');
  const app = await createApp({ config });
  const log = app.http.log;
  // A promise that some background task forgot to await must not take every request in flight down
  // with it (Node's default for an unhandled rejection): it is logged, with its stack, and the server
  // goes on. Jobs that do crash the process are counted by the job table and parked after two.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection in a background task'));
  if (!config.rateLimit) log.warn('LANYARD_RATE_LIMIT=off: rate limits are disabled. Use this for load tests only.');
  if (withHttp) {
    await app.http.listen({ port: config.port, host: config.host });
    const address = app.http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    process.stdout.write(`Lanyard ${VERSION} is running at http://${host}:${port}\n${describeSetup(config)}`);
  } else {
    process.stdout.write(`Lanyard ${VERSION} job worker is running\n${describeSetup(config)}`);
  }
  if (config.runWorker || !withHttp) app.startWorker();
  // The worker's timers do not hold the process open (tests build apps that must exit on their own), so
  // without a listening server something else has to, until a signal stops it.
  const keepAlive = withHttp ? undefined : setInterval(() => {}, 2 ** 30);

  stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    clearInterval(keepAlive);
    // Finish requests in flight and the jobs in hand; a second signal or 10 s forces the exit.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    // A connection whose request was still running when the close began would otherwise stay open for
    // the keep-alive timeout once answered, holding the exit back by seconds.
    app.http.server.keepAliveTimeout = 1;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  if (stopRequested) stop(stopRequested);
}

async function migrate(args: string[]): Promise<void> {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"; migrate takes none`);
  const config = loadConfig();
  const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
    import('../db/database.js'),
    import('../db/migrate.js'),
  ]);
  const handle = openDatabase({ url: config.databaseUrl, sqlitePath: path.join(config.dataDir, 'lanyard.db') });
  try {
    const ran = await migrateToLatest(handle.db);
    process.stdout.write(
      ran.length ? `Applied ${ran.length} migration(s): ${ran.join(', ')}\n` : 'The database is up to date.\n',
    );
  } finally {
    await handle.close();
  }
}

async function adminCreate(args: string[]): Promise<void> {
  let values: { email?: string | undefined; password?: string | undefined; role?: string | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', default: 'admin' } },
    }));
  } catch (error) {
    // parseArgs explains unknown options and missing values well; they are usage errors, not crashes.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (!values.email || !values.password) throw new UsageError('admin create needs --email and --password');
  if (values.role !== 'admin' && values.role !== 'support') throw new UsageError('--role must be admin or support');
  const config = loadConfig();
  const { createApp } = await import('../app.js');
  const app = await createApp({ config, logger: false });
  try {
    const result = await app.services.accounts.createStaff({
      email: values.email,
      password: values.password,
      role: values.role,
    });
    process.stdout.write(
      `${result.created ? 'Created' : 'Updated'} ${values.role} account ${result.id} (${values.email.trim().toLowerCase()})\n`,
    );
    // Staff routes refuse staff without a second factor: say so now rather than at the first 403.
    const security = await app.services.twoStep.gate(result.id);
    if (!security.methods.some((method) => method !== 'recovery_code')) {
      process.stdout.write(
        'Before using the staff console or /v1/admin, sign in and turn on two-step verification (an authenticator app or a passkey).\n',
      );
    }
  } finally {
    await app.close();
  }
}

/** Adds an OpenID signing key (see SigningKeys.rotate); running servers pick it up within a minute. */
async function keysRotate(args: string[]): Promise<void> {
  let values: { 'sign-after-hours'?: string | undefined; 'retire-after-hours'?: string | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { 'sign-after-hours': { type: 'string' }, 'retire-after-hours': { type: 'string' } },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const hours = (name: 'sign-after-hours' | 'retire-after-hours') => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 24 * 365)
      throw new UsageError(`--${name} must be a number of hours from 0 to 8760`);
    return value * 60 * 60 * 1000;
  };
  const signAfterMs = hours('sign-after-hours');
  const retireAfterMs = hours('retire-after-hours');
  const config = loadConfig();
  const { createApp } = await import('../app.js');
  const app = await createApp({ config, logger: false });
  try {
    const { kid, signFrom, retireAt } = await app.services.signingKeys.rotate({
      ...(signAfterMs !== undefined ? { signAfterMs } : {}),
      ...(retireAfterMs !== undefined ? { retireAfterMs } : {}),
    });
    process.stdout.write(
      `Added signing key ${kid}: published now, signs from ${new Date(signFrom).toISOString()}; the older keys are retired at ${new Date(retireAt).toISOString()}\n`,
    );
  } finally {
    await app.close();
  }
}

/**
 * Moves the key ring from a file to the key ring database (LANYARD_KEYRING_URL). Run before the first
 * start on the database: a process that finds no key for an account would make it a new one.
 */
async function keysImportFile(args: string[]): Promise<void> {
  let values: { file?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { file: { type: 'string' } } }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const config = loadConfig();
  if (!config.keyringUrl || !config.masterKey)
    throw new UsageError(
      'keys import-file needs LANYARD_KEYRING_URL (and LANYARD_MASTER_KEY): the key ring database to copy into',
    );
  const file = path.resolve(values.file ?? path.join(config.dataDir, 'keyring.db'));
  if (!fs.existsSync(file)) throw new UsageError(`no key ring file at ${file}`);
  const [
    { default: SqliteDatabase },
    { PostgresKeyRing },
    { PostgresTombstones, TombstoneLog },
    { deriveServerKeys },
    { hmac },
  ] = await Promise.all([
    import('better-sqlite3'),
    import('../crypto/postgres-keyring.js'),
    import('../deletion/tombstone-log.js'),
    import('../crypto/keys.js'),
    import('../crypto/tokens.js'),
  ]);
  const sqlite = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  const ring = await PostgresKeyRing.open(config.keyringUrl, config.masterKey);
  try {
    const tombstones = new PostgresTombstones(ring.pool, 'the key ring database');
    await tombstones.importFrom(new TombstoneLog(path.join(path.dirname(file), 'tombstones.log')));
    const erased = await tombstones.read();
    const lookup = deriveServerKeys(config.masterKey).lookup;
    const rows = (
      sqlite.prepare('SELECT account_id, wrapped, created_at FROM account_keys').all() as Array<{
        account_id: string;
        wrapped: Buffer;
        created_at: number;
      }>
    ).map((row) => ({ accountId: row.account_id, wrapped: row.wrapped, createdAt: row.created_at }));
    const result = await ring.importWrapped(rows, (accountId) => erased.has(hmac(lookup, 'tombstone', accountId)));
    process.stdout.write(
      `Imported ${result.imported} key(s) from ${file} into ${describePostgresUrl(config.keyringUrl)}; ${result.present} already there, ${result.skipped} of erased accounts left out.\n`,
    );
    if (result.conflicts.length > 0) {
      process.stdout.write(
        `${result.conflicts.length} account(s) have another key in the database than in the file (a process started on the database before the import): ${result.conflicts.join(', ')}\n`,
      );
      process.exitCode = 1;
    } else {
      process.stdout.write(
        `Once the servers run on the key ring database, delete ${file}: keys destroyed from now on would stay in it.\n`,
      );
    }
  } finally {
    sqlite.close();
    await ring.close();
  }
}

/** Adds a bootloader signing key (see BootloaderKeys.rotate): it signs at once, the old ones stay published until retired. */
async function keysRotateBootloader(args: string[]): Promise<void> {
  let values: { 'retire-after-hours'?: string | undefined };
  try {
    ({ values } = parseArgs({ args, options: { 'retire-after-hours': { type: 'string' } } }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const raw = values['retire-after-hours'];
  const hours = raw === undefined ? undefined : Number(raw);
  if (hours !== undefined && (!Number.isFinite(hours) || hours < 0 || hours > 24 * 365))
    throw new UsageError('--retire-after-hours must be a number of hours from 0 to 8760');
  const config = loadConfig();
  const { createApp } = await import('../app.js');
  const app = await createApp({ config, logger: false });
  try {
    const { kid, retireAt } = await app.services.bootloaderKeys.rotate(
      hours === undefined ? {} : { retireAfterMs: hours * 60 * 60 * 1000 },
    );
    process.stdout.write(
      `Added bootloader key ${kid}: it signs from now on; the older keys stay published until ${new Date(retireAt).toISOString()}\n`,
    );
  } finally {
    await app.close();
  }
}

/** Reports accounts that a tombstone names but that exist; `serve` erases them again at start. */
async function doctor(args: string[]): Promise<void> {
  const vacuum = args[0] === '--vacuum';
  const unexpected = args.slice(vacuum ? 1 : 0)[0];
  if (unexpected !== undefined) throw new UsageError(`unexpected argument "${unexpected}"; doctor takes only --vacuum`);
  const config = loadConfig();
  const { createApp } = await import('../app.js');
  const app = await createApp({ config, logger: false });
  try {
    const { revived, erasing, missingFromLog } = await app.services.deletion.scan();
    const lines: string[] = [];
    for (const { accountId, entry } of revived)
      lines.push(
        `  ${accountId}: deleted at ${entry.deletedAt} but present again (restored backup?); \`lanyard serve\` erases it again at start`,
      );
    for (const accountId of erasing) lines.push(`  ${accountId}: deleted; its erasure is still running`);
    if (lines.length > 0) process.stdout.write(`${lines.length} account(s) should not exist:\n${lines.join('\n')}\n`);
    else process.stdout.write('No account that should not exist.\n');
    if (missingFromLog.length > 0) {
      process.stdout.write(
        `${missingFromLog.length} tombstone(s) of the database are missing from ${app.tombstones.where}: a backup restored from before those deletions would bring them back unnoticed.\n`,
      );
    }
    if (lines.length > 0) process.exitCode = 1;
    if (vacuum) await vacuumFiles(app, config);
  } finally {
    await app.close();
  }
}

/**
 * SQLite's secure_delete zeroes deleted rows and freed pages, but a page that a b-tree balance rebuilt
 * keeps old bytes in its unused gap: erased ids (random, and linked to nobody any more) can stay there.
 * VACUUM rewrites every page. It takes about as long as copying the file and holds writers back meanwhile,
 * so it is an operator's command, not part of each erasure. PostgreSQL's own VACUUM (autovacuum) reclaims
 * dead tuples, whose personal fields are sealed under destroyed keys anyway.
 */
async function vacuumFiles(app: import('../app.js').App, config: Config): Promise<void> {
  const sqlite = app.database.sqlite;
  if (!sqlite) {
    process.stdout.write(
      'The database is PostgreSQL: its VACUUM (autovacuum) reclaims dead rows; nothing to do here.\n',
    );
  } else {
    const file = path.join(config.dataDir, 'lanyard.db');
    const before = fs.statSync(file).size;
    process.stdout.write(`Vacuuming ${file} (${(before / 1048576).toFixed(1)} MiB)…\n`);
    const { vacuumSqlite } = await import('../db/database.js');
    vacuumSqlite(sqlite);
    process.stdout.write(`  done: ${(fs.statSync(file).size / 1048576).toFixed(1)} MiB\n`);
  }
  if (app.keyRing.compact) {
    await app.keyRing.compact();
    process.stdout.write('Key ring compacted.\n');
  }
}

class UsageError extends Error {}

/** Runs one `lanyard` command; exits non-zero with a clear message on bad input. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(true, rest);
      case 'worker':
        return await serve(false, rest);
      case 'migrate':
        return await migrate(rest);
      case 'export':
        return await (await import('../export/cli.js')).exportCommand(rest);
      case 'doctor':
        return await doctor(rest);
      case 'seed': {
        const { seedCommand, SeedUsageError } = await import('./seed.js');
        try {
          return await seedCommand(rest, loadConfig);
        } catch (error) {
          throw error instanceof SeedUsageError ? new UsageError(error.message) : error;
        }
      }
      case 'admin':
        if (rest[0] !== 'create')
          throw new UsageError('unknown admin command; try: lanyard admin create --email E --password P');
        return await adminCreate(rest.slice(1));
      case 'keys':
        if (rest[0] === 'import-file') return await keysImportFile(rest.slice(1));
        if (rest[0] === 'rotate-bootloader') return await keysRotateBootloader(rest.slice(1));
        if (rest[0] !== 'rotate')
          throw new UsageError(
            'unknown keys command; try: lanyard keys rotate, lanyard keys rotate-bootloader, or lanyard keys import-file',
          );
        return await keysRotate(rest.slice(1));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return;
      case '--version':
        process.stdout.write(`${VERSION}\n`);
        return;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    // Exit explicitly once stderr is written: a half-built app (a pool, a Redis client) would keep the
    // process alive, and a stack trace would tell the operator nothing they can act on.
    process.stderr.write(explain(error), () => process.exit(1));
  }
}

/** One clear message for an error that stops a command. */
function explain(error: unknown): string {
  if (error instanceof ConfigError) return `${error.message}\n`;
  if (error instanceof UsageError) return `lanyard: ${error.message}\n\n${USAGE}\n`;
  if (error instanceof AppError) return `lanyard: ${error.detail}\n`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'EADDRINUSE') return `lanyard: ${message}; set LANYARD_PORT to another port\n`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `lanyard: cannot reach the database (${message}); check LANYARD_DATABASE_URL\n`;
  return `lanyard: ${message}\n`;
}

await main(process.argv.slice(2));
