import { parseArgs } from 'node:util';
import { createApp, VERSION } from '../app.js';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { AppError } from '../http/errors.js';
import path from 'node:path';

const USAGE = `lanyard ${VERSION}: the open account platform for device makers

Usage:
  lanyard serve                 start the server (and the job worker, unless LANYARD_WORKER=off)
  lanyard worker                run only the job worker
  lanyard migrate               bring the database schema up to date
  lanyard admin create --email E --password P [--role admin|support]
                                create a staff account (or promote the account with that email)
  lanyard export --account ID [--out FILE]
                                write a zip of the account's cloud data, with a progress bar

Configuration comes from the environment (LANYARD_PORT, LANYARD_DATA_DIR, LANYARD_DATABASE_URL, …); see README.md.`;

async function serve(withHttp: boolean): Promise<void> {
  const config = loadConfig();
  const app = await createApp({ config });
  const log = app.http.log;
  if (!config.rateLimit) log.warn('LANYARD_RATE_LIMIT=off: rate limits are disabled. Use this for load tests only.');
  if (withHttp) {
    await app.http.listen({ port: config.port, host: config.host });
    const address = app.http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const database = config.databaseUrl ? 'PostgreSQL' : `SQLite at ${path.join(config.dataDir, 'lanyard.db')}`;
    const mail = config.smtpUrl ? 'SMTP' : `the dev outbox (${path.join(config.dataDir, 'outbox.jsonl')})`;
    process.stdout.write(`Lanyard ${VERSION} is running at http://${config.host}:${port}\n  database: ${database}\n  messages: ${mail}\n`);
  }
  if (config.runWorker || !withHttp) app.startWorker();
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    // Finish requests in flight and the jobs in hand; a second signal or 10 s forces the exit.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  const handle = openDatabase({ url: config.databaseUrl, sqlitePath: path.join(config.dataDir, 'lanyard.db') });
  try {
    const ran = await migrateToLatest(handle.db);
    process.stdout.write(ran.length ? `Applied ${ran.length} migration(s): ${ran.join(', ')}\n` : 'The database is up to date.\n');
  } finally {
    await handle.close();
  }
}

async function adminCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', default: 'admin' } } });
  if (!values.email || !values.password) throw new UsageError('admin create needs --email and --password');
  if (values.role !== 'admin' && values.role !== 'support') throw new UsageError('--role must be admin or support');
  const app = await createApp({ config: loadConfig(), logger: false });
  try {
    const result = await app.services.accounts.createStaff({ email: values.email, password: values.password, role: values.role });
    process.stdout.write(`${result.created ? 'Created' : 'Updated'} ${values.role} account ${result.id} (${values.email.trim().toLowerCase()})\n`);
  } finally {
    await app.close();
  }
}

class UsageError extends Error {}

/** Runs one `lanyard` command; exits non-zero with a clear message on bad input. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(true);
      case 'worker':
        return await serve(false);
      case 'migrate':
        return await migrate();
      case 'export':
        return await (await import('../export/cli.js')).exportCommand(rest);
      case 'admin':
        if (rest[0] !== 'create') throw new UsageError('unknown admin command; try: lanyard admin create --email E --password P');
        return await adminCreate(rest.slice(1));
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
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else if (error instanceof UsageError) process.stderr.write(`lanyard: ${error.message}\n\n${USAGE}\n`);
    else if (error instanceof AppError) process.stderr.write(`lanyard: ${error.detail}\n`);
    else if (error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') process.stderr.write(`lanyard: ${error.message}; set LANYARD_PORT to another port\n`);
    else process.stderr.write(`lanyard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = command === undefined ? 0 : 1;
    if (command === 'serve' || command === 'worker') process.exit(1);
  }
}

await main(process.argv.slice(2));
