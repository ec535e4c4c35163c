import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { hashPassword, verifyPassword } from '../src/crypto/passwords.js';
import { withCpuShare, type CpuShare } from './cpu.js';

/** One timed load run, reduced to what the report needs. */
export interface LoadRun {
  requestsPerSecond: number;
  completed: number;
  seconds: number;
  /** autocannon's latency histogram counts whole milliseconds (fractions are dropped), so p99 9 means under 10 ms. */
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  cpu?: CpuShare;
  /** Server CPU time per answered request: steadier than requests/s when other processes take cores. */
  serverMicrosPerRequest?: number;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Bodies handed out to connections in turn (in-process runs only), e.g. one account per connection. */
  bodies?: string[];
}

export function toRun(result: autocannon.Result): LoadRun {
  const ok = result['2xx'];
  return {
    requestsPerSecond: ok / result.duration,
    completed: ok,
    seconds: result.duration,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** autocannon inside the bench process (the server is always a process of its own). */
export async function loadInProcess(spec: LoadSpec): Promise<LoadRun> {
  let next = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    pipelining: 1,
    duration: spec.seconds,
    ...(spec.amount === undefined ? {} : { amount: spec.amount }),
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    setupClient: spec.bodies
      ? (client) => {
          client.setBody(spec.bodies![next++ % spec.bodies!.length]!);
        }
      : undefined,
  });
  return toRun(result);
}

const require = createRequire(import.meta.url);
const AUTOCANNON_CLI = require.resolve('autocannon/autocannon.js');

/** autocannon's own CLI in a third process (`autocannon --json`), so that the bench process takes no part. */
export async function loadInCli(spec: LoadSpec): Promise<LoadRun> {
  if (spec.bodies) throw new Error('the CLI takes one body for every connection');
  const args = [
    AUTOCANNON_CLI,
    '--json',
    '-c',
    String(spec.connections),
    '-p',
    '1',
    '-d',
    String(spec.seconds),
    '-m',
    spec.method ?? 'GET',
  ];
  for (const [name, value] of Object.entries(spec.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (spec.body !== undefined) args.push('-b', spec.body);
  args.push(spec.url);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${stderr}`);
  return toRun(JSON.parse(stdout) as autocannon.Result);
}

export interface HashRun {
  hashesPerSecond: number;
  completed: number;
  seconds: number;
  cpu?: CpuShare;
}

/**
 * argon2id verifications in this process with `concurrency` in flight, through the very function the
 * server calls (same parameters, same libuv thread pool use): the unavoidable cost of a sign-in.
 */
export async function hashRate(seconds: number, concurrency: number): Promise<HashRun> {
  const password = 'bench-correct-horse-battery';
  const hash = await hashPassword(password);
  let completed = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      if (!(await verifyPassword(hash, password))) throw new Error('argon2 verify failed on a correct password');
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = (performance.now() - start) / 1000;
  return { hashesPerSecond: completed / elapsed, completed, seconds: elapsed };
}

/**
 * `run` with the shares of the cores it saw (the server `serverPid`, the PostgreSQL database `pgName` if
 * any, the bench, the rest) and, for a load run, the server's CPU time per answered request.
 */
export async function withServerCpu<T extends LoadRun | HashRun>(
  serverPid: number,
  pgName: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const { result, cpu } = await withCpuShare(serverPid, pgName, run);
  if (cpu) {
    result.cpu = cpu;
    if ('requestsPerSecond' in result && result.completed > 0)
      result.serverMicrosPerRequest = Math.round((cpu.serverCpuSeconds / result.completed) * 1e6);
  }
  return result;
}
