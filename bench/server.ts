import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPILED_CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

export interface ServerBuild {
  /** How the server is started: the compiled build, or the TypeScript sources when the build failed. */
  kind: 'dist' | 'tsx';
  args: string[];
  note: string;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The compiled build gives the realistic figure (no loader in the way), so it is rebuilt when missing or
 * older than any source; if the build fails, the sources run through tsx and the result says so.
 */
export function ensureBuild(): ServerBuild {
  const builtAt = fs.existsSync(COMPILED_CLI) ? fs.statSync(COMPILED_CLI).mtimeMs : 0;
  const sourcesAt = Math.max(newestMtime(path.join(ROOT, 'src')), fs.statSync(path.join(ROOT, 'package.json')).mtimeMs);
  let note = 'dist was up to date';
  if (builtAt < sourcesAt) {
    process.stdout.write('Building the server (npm run build)…\n');
    const startedAt = Date.now();
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
    note = 'rebuilt by the bench';
    if (build.status !== 0) {
      // tsc still writes JavaScript when only types are wrong; that build is what `npm start` would run.
      const emitted = fs.existsSync(COMPILED_CLI) && fs.statSync(COMPILED_CLI).mtimeMs >= startedAt - 1000;
      const errors = `${build.stdout}${build.stderr}`
        .split('\n')
        .filter((line) => /error/i.test(line))
        .slice(0, 5)
        .join('\n');
      if (!emitted) {
        process.stdout.write(`The build failed; benchmarking the TypeScript sources through tsx instead:\n${errors}\n`);
        return {
          kind: 'tsx',
          args: ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')],
          note: 'npm run build failed',
        };
      }
      process.stdout.write(
        `npm run build reported type errors, but wrote the JavaScript, which is what is benchmarked:\n${errors}\n`,
      );
      note = 'rebuilt by the bench; tsc reported type errors but emitted';
    }
  }
  return { kind: 'dist', args: [COMPILED_CLI], note };
}

export interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  build: ServerBuild;
  dataDir: string;
  databaseUrl?: string | undefined;
  /** The server's own defaults (rate limits on, logging at info), as a user runs it; else both turned down for load. */
  defaults?: boolean;
  /** Extra node flags, e.g. --cpu-prof for profiling. */
  nodeArgs?: string[];
  cwd?: string;
}

/** Starts `lanyard serve` as its own process on a free port and waits for the line with its URL. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LANYARD_DATA_DIR: options.dataDir,
    LANYARD_PORT: '0',
    LANYARD_HOST: '127.0.0.1',
    // Load parts measure throughput: no rate limits, and no load shedding, which a machine shared with other
    // work can trigger (503 overloaded) in the middle of a run.
    ...(options.defaults
      ? {}
      : { LANYARD_RATE_LIMIT: 'off', LANYARD_LOG_LEVEL: 'warn', LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0' }),
  };
  if (options.defaults) {
    delete env.LANYARD_RATE_LIMIT;
    delete env.LANYARD_LOG_LEVEL;
  }
  delete env.LANYARD_REDIS_URL;
  delete env.LANYARD_SMTP_URL;
  delete env.LANYARD_SMS_WEBHOOK_URL;
  if (options.databaseUrl) env.LANYARD_DATABASE_URL = options.databaseUrl;
  else delete env.LANYARD_DATABASE_URL;

  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...options.build.args, 'serve'], {
    cwd: options.cwd ?? ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 120 s:\n${output}`));
    }, 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with code ${code} before it was ready:\n${output}`));
    });
  });
  // Keep draining the pipes so that a chatty server never blocks on a full pipe; keep errors for the report.
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.on('data', () => {});
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));

  // Whatever ends the bench (an error, a closed pipe) must not leave a server running behind it.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      await stopChild(child, exited);
      process.off('exit', orphanGuard);
    },
  };
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
