import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CloudResult } from './cloud.js';
import type { ScaleResult } from './scale.js';
import type { DeletionResult } from './deletion.js';
import type { DevicesResult } from './devices.js';
import { databaseTable, firstLine, fmt, mark, type Target } from './format.js';
import type { HashRun, LoadRun } from './load.js';
import { ROOT } from './server.js';
import { median, round } from './stats.js';

export const TARGETS = {
  /** Sign-in requests/s over argon2id hashes/s alone: the server adds almost nothing to the hash. */
  signInToHashRatio: 0.9,
  /** GET /v1/me on SQLite, on a 2-core machine. */
  meSqliteRequestsPerSecond: 10_000,
  meSqliteP99Ms: 10,
  /** GET /v1/me over the floor (a bare Fastify doing one indexed lookup), one session and many in rotation. */
  meToFloor: 0.6,
  meP99Ms: 10,
} as const;

export interface MeFigures {
  runner: 'in-process' | 'cli';
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverMicrosPerRequest: number | undefined;
  runs: LoadRun[];
}

export function summariseMe(runner: MeFigures['runner'], connections: number, runs: LoadRun[]): MeFigures {
  return {
    runner,
    connections,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.latencyMs.p50)),
    p99Ms: median(runs.map((r) => r.latencyMs.p99)),
    serverMicrosPerRequest: runs.every((r) => r.serverMicrosPerRequest !== undefined)
      ? median(runs.map((r) => r.serverMicrosPerRequest!))
      : undefined,
    runs,
  };
}

export interface DatabaseResult {
  database: 'sqlite' | 'postgres';
  hash?: { hashesPerSecond: number; runs: HashRun[] };
  signIn?: {
    requestsPerSecond: number;
    ratioToHash: number;
    ratiosPerRepeat: number[];
    ratioOfTotals?: number;
    runs: LoadRun[];
    warmUp?: LoadRun;
  };
  /** The headline GET /v1/me figure, and the same load from the other runner for comparison. */
  me?: MeFigures;
  meOtherRunner?: MeFigures;
  targets?: Record<string, Target>;
  /** CPU taken by other processes during the measured runs (cores): how noisy the figures are. */
  otherProcessesCores?: { median: number; max: number };
  /** GET /v1/devices and the activation check as the tables grow (bench/devices.ts), on a server of their own. */
  devices?: DevicesResult;
  /** One account's contacts and photos: upload, full and delta sync, peak memory (bench/cloud.ts), on a server of their own. */
  cloud?: CloudResult;
  /** Confirm to no residue per account size, against the database size, and sign-in during a large erasure (bench/deletion.ts). */
  deletion?: DeletionResult;
  /** Session check, sign-in, device list, activation check and one deletion at 10k, 100k and 1M seeded accounts (bench/scale.ts). */
  scale?: ScaleResult;
  /**
   * GET /v1/me rotating through many distinct sessions (in-process autocannon), once each session has been
   * checked; `firstPass` is the pass before, in which each session is seen for the first time.
   */
  meRotating?: MeFigures & { sessions: number; firstPass?: MeFigures };
  /** The floor: a bare Fastify doing one indexed lookup on the same database, one session and many. */
  floor?: { what: string; oneSession: MeFigures; rotating: MeFigures; rotatingFirstPass?: MeFigures };
  /** The limit: argon2id alone on all the threads the server hashes on. */
  limit?: { what: string; hashesPerSecond: number; concurrency: number };
  ratios?: { meOneSessionToFloor: number; meRotatingToFloor: number; signInToLimit: number };
  error?: string;
}

/** Sums up the CPU other processes took during every measured run of one database. */
export function otherProcessesOf(result: DatabaseResult): DatabaseResult['otherProcessesCores'] {
  const runs: (HashRun | LoadRun)[] = [
    ...(result.hash?.runs ?? []),
    ...(result.signIn?.runs ?? []),
    ...(result.me?.runs ?? []),
    ...(result.meOtherRunner?.runs ?? []),
  ];
  const others = runs.flatMap((r) => (r.cpu ? [r.cpu.otherCores] : []));
  return others.length ? { median: round(median(others), 2), max: round(Math.max(...others), 2) } : undefined;
}

export function targetsFor(result: DatabaseResult): Record<string, Target> {
  const targets: Record<string, Target> = {};
  if (result.signIn) {
    targets.signInAtLeast90PercentOfHashRate = {
      target: `sign-in req/s >= ${TARGETS.signInToHashRatio * 100} % of argon2id hashes/s`,
      value: round(result.signIn.ratioToHash, 3),
      met: result.signIn.ratioToHash >= TARGETS.signInToHashRatio,
    };
  }
  if (result.ratios) {
    targets.meOneSessionAtLeast60PercentOfFloor = {
      target: `GET /v1/me with one session >= ${TARGETS.meToFloor} of the floor`,
      value: result.ratios.meOneSessionToFloor,
      met: result.ratios.meOneSessionToFloor >= TARGETS.meToFloor,
    };
    targets.meRotatingAtLeast60PercentOfFloor = {
      target: `GET /v1/me over ${result.meRotating?.sessions} sessions in rotation >= ${TARGETS.meToFloor} of the floor`,
      value: result.ratios.meRotatingToFloor,
      met: result.ratios.meRotatingToFloor >= TARGETS.meToFloor,
    };
    for (const [name, figures] of [
      ['meP99Under10MsOneSession', result.me],
      ['meP99Under10MsRotating', result.meRotating],
    ] as const) {
      if (figures)
        targets[name] = {
          target: `p99 < ${TARGETS.meP99Ms} ms (whole ms, fractions dropped)`,
          value: figures.p99Ms,
          met: figures.p99Ms < TARGETS.meP99Ms,
        };
    }
  }
  if (result.me && result.database === 'sqlite') {
    targets.meAtLeast10000RequestsPerSecond = {
      target: `GET /v1/me >= ${TARGETS.meSqliteRequestsPerSecond} req/s on SQLite`,
      value: Math.round(result.me.requestsPerSecond),
      met: result.me.requestsPerSecond >= TARGETS.meSqliteRequestsPerSecond,
    };
    targets.meP99Under10Ms = {
      target: `GET /v1/me p99 < ${TARGETS.meSqliteP99Ms} ms on SQLite (whole ms, fractions dropped)`,
      value: result.me.p99Ms,
      met: result.me.p99Ms < TARGETS.meSqliteP99Ms,
    };
  }
  return targets;
}

export function machineInfo() {
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !==
      '';
  } catch {
    // Not a git checkout (a tarball): the commit stays unknown.
  }
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    git: { commit, dirty },
  };
}

/** Writes bench/results/<date>.json and bench/results/latest.json; returns the dated path. */
export function saveResult(result: { date: string }): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const dated = path.join(dir, `${result.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  fs.writeFileSync(dated, text);
  fs.writeFileSync(path.join(dir, 'latest.json'), text);
  return dated;
}

/** The readable summary: medians, with every run's figure after them. */
export function summaryTable(results: DatabaseResult[]): string {
  const { column, render } = databaseTable(results);
  const all = (runs: number[] | undefined, digits = 0) =>
    runs ? `  [${runs.map((v) => fmt(v, digits)).join(', ')}]` : '';

  column('limit: argon2id hashes/s alone', (r) =>
    r.error
      ? `failed: ${firstLine(r.error)}`
      : `${fmt(r.hash?.hashesPerSecond, 1)}${all(
          r.hash?.runs.map((x) => x.hashesPerSecond),
          1,
        )}`,
  );
  column(
    'sign-in req/s',
    (r) =>
      `${fmt(r.signIn?.requestsPerSecond, 1)}${all(
        r.signIn?.runs.map((x) => x.requestsPerSecond),
        1,
      )}`,
  );
  column('sign-in / limit (≥ 0.9)', (r) =>
    r.signIn
      ? `${fmt(r.signIn.ratioToHash * 100, 1)} %${mark(r.targets?.signInAtLeast90PercentOfHashRate?.met)}${all(
          r.signIn.ratiosPerRepeat.map((x) => x * 100),
          1,
        )}`
      : '-',
  );
  column('sign-in / hash, ratio of totals', (r) =>
    r.signIn?.ratioOfTotals === undefined ? '-' : `${fmt(r.signIn.ratioOfTotals * 100, 1)} %`,
  );
  for (const [label, pick] of [
    ['GET /v1/me', (r: DatabaseResult) => r.me],
    ['GET /v1/me, other runner', (r: DatabaseResult) => r.meOtherRunner],
  ] as const) {
    column(`${label} req/s`, (r) => {
      const me = pick(r);
      if (!me) return '-';
      const met = label === 'GET /v1/me' ? r.targets?.meAtLeast10000RequestsPerSecond?.met : undefined;
      return `${fmt(me.requestsPerSecond)}${mark(met)} (${me.runner}, ${me.connections} conn.)${all(me.runs.map((x) => x.requestsPerSecond))}`;
    });
    column(`${label} p50 / p99 ms`, (r) => {
      const me = pick(r);
      if (!me) return '-';
      const met = label === 'GET /v1/me' ? r.targets?.meP99Under10Ms?.met : undefined;
      return `${me.p50Ms} / ${me.p99Ms}${mark(met)}${all(me.runs.map((x) => x.latencyMs.p99))}`;
    });
    column(`${label} server CPU µs/req`, (r) => {
      const me = pick(r);
      return me?.serverMicrosPerRequest === undefined
        ? '-'
        : `${fmt(me.serverMicrosPerRequest)}${all(me.runs.map((x) => x.serverMicrosPerRequest ?? NaN))}`;
    });
  }
  column('floor, one session req/s (µs CPU/req)', (r) =>
    r.floor ? `${fmt(r.floor.oneSession.requestsPerSecond)} (${fmt(r.floor.oneSession.serverMicrosPerRequest)})` : '-',
  );
  column('GET /v1/me one session / floor (≥ 0.6)', (r) =>
    r.ratios
      ? `${fmt(r.ratios.meOneSessionToFloor, 3)}${mark(r.targets?.meOneSessionAtLeast60PercentOfFloor?.met)}`
      : '-',
  );
  column('GET /v1/me rotating req/s, p99 ms (µs CPU/req)', (r) =>
    r.meRotating
      ? `${fmt(r.meRotating.requestsPerSecond)}, ${r.meRotating.p99Ms}${mark(r.targets?.meP99Under10MsRotating?.met)} (${fmt(r.meRotating.serverMicrosPerRequest)}) over ${r.meRotating.sessions} sessions`
      : '-',
  );
  column('floor rotating req/s (µs CPU/req)', (r) =>
    r.floor ? `${fmt(r.floor.rotating.requestsPerSecond)} (${fmt(r.floor.rotating.serverMicrosPerRequest)})` : '-',
  );
  column('GET /v1/me rotating / floor (≥ 0.6)', (r) =>
    r.ratios ? `${fmt(r.ratios.meRotatingToFloor, 3)}${mark(r.targets?.meRotatingAtLeast60PercentOfFloor?.met)}` : '-',
  );
  column('other processes, CPU cores', (r) =>
    r.otherProcessesCores ? `median ${r.otherProcessesCores.median}, max ${r.otherProcessesCores.max}` : '-',
  );
  return render();
}
