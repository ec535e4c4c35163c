import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outboxFor } from './outbox.js';
import { runOnTestDatabase } from './pg-schema.js';
import type { TestDatabase } from './test-app.js';
import { TEST_POSTGRES_URL } from './test-app.js';

const BIN = new URL('../../bin/lanyard.js', import.meta.url);
/**
 * How long a spawned command may take before the test gives up on it (a failure guard, not an assertion):
 * generous, since a start compiles the TypeScript and a busy 2-core machine has taken over 30 s for it.
 */
const PATIENCE_MS = 90_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a spawned `lanyard`: only what the test sets, so a developer's LANYARD_* never leaks in. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LANYARD_')));
  // No load shedding unless a test asks: on a shared test machine the event loop's delay is the neighbours'.
  return { ...base, LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0', ...vars };
}

/** A fresh, empty data folder. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-cli-'));
}

/** A `lanyard` process started through bin/lanyard.js, as `npx lanyard` would. */
export class CliProcess {
  stdout = '';
  stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<CliResult>;
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [fileURLToPath(BIN), ...args], {
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.closed = true;
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
        this.notify();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** Waits until stdout matches the pattern; fails with the output so far if the process ends first. */
  async waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.stdout.match(pattern);
        if (match) done(() => resolve(match));
        else if (this.closed) {
          done(() =>
            reject(
              new Error(`lanyard ended before printing ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`lanyard did not print ${pattern}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)),
          ),
        PATIENCE_MS,
      );
      const done = (finish: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        finish();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends a signal (SIGTERM by default). */
  signal(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** Resolves when the process has ended; kills it and fails if it does not end in time. */
  async exit(): Promise<CliResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`lanyard did not exit\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, PATIENCE_MS);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process if it still runs (cleanup after a failed test). */
  async stop(): Promise<void> {
    if (!this.closed) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Runs one `lanyard` command to its end. */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new CliProcess(args, env).exit();
}

/** A `lanyard serve` that has printed its URL. */
export interface RunningServer {
  process: CliProcess;
  url: string;
}

/** Starts `lanyard serve` and waits for the URL it prints. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const server = new CliProcess(['serve'], { LANYARD_PORT: '0', ...env });
  try {
    const [, url] = await server.waitForOutput(/is running at (http:\/\/\S+)/);
    return { process: server, url: url! };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A database of its own for a spawned server: a fresh SQLite file, or a fresh PostgreSQL database. */
export interface CliDatabase {
  /** LANYARD_DATABASE_URL for the spawned process, or none for SQLite. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** Creates an empty database for spawned commands; a whole PostgreSQL database, since `lanyard` has no schema option. */
export async function createCliDatabase(kind: TestDatabase): Promise<CliDatabase> {
  if (kind === 'sqlite') return { env: {}, drop: async () => {} };
  const name = `lanyard_cli_${randomBytes(6).toString('hex')}`;
  await runOnTestDatabase(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    env: { LANYARD_DATABASE_URL: url.href },
    drop: () => runOnTestDatabase(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Waits until the server's job worker has written a message for someone to the outbox, and returns it. */
export async function waitForOutbox(
  dataDir: string,
  to: string,
): Promise<{ to: string; channel: string; subject: string; text: string }> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const [message] = outboxFor(dataDir, to);
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`no message to ${to} reached ${dataDir}/outbox.jsonl`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
