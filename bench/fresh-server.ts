import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Seeder, type SeedReport, type SeedSettings } from '../src/cli/seed.js';
import { loadOrCreateMasterKey } from '../src/crypto/keys.js';
import { createBenchDatabase, type BenchDatabase } from './postgres.js';
import { startServer, type RunningServer, type ServerBuild } from './server.js';
import { round } from './stats.js';

export type BenchDialect = 'sqlite' | 'postgres';

/** What every part on a server of its own records beside its figures. */
export interface PartOutcome {
  checks: string[];
  /** The 1-minute load average when this part began: other work on the machine moves every figure. */
  loadAverageAtStart: number;
  error?: string;
}

/** The 1-minute load average now, rounded as the results keep it. */
export const loadAverageNow = () => round(os.loadavg()[0]!, 2);

export interface FreshServer {
  database: BenchDialect;
  server: RunningServer;
  dataDir: string;
  pg: BenchDatabase | undefined;
}

/**
 * A server of its own on an empty data folder (and an empty PostgreSQL database), for one part of the
 * bench: its peak memory and its tables then belong to that part alone. Everything is removed afterwards.
 */
export async function withFreshServer<T>(
  database: BenchDialect,
  build: ServerBuild,
  label: string,
  run: (fresh: FreshServer) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lanyard-bench-${label}-${database}-`));
  let pg: BenchDatabase | undefined;
  try {
    if (database === 'postgres') pg = await createBenchDatabase();
    const server = await startServer({ build, dataDir, databaseUrl: pg?.url });
    try {
      return await run({ database, server, dataDir, pg });
    } finally {
      await server.stop();
    }
  } finally {
    if (pg) await pg.drop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `lanyard seed`'s Seeder (src/cli/seed.ts) on a bench server's database and key ring, under the server's
 * own master key. The schema is left as the server migrated it: me-paired.ts seeds an older build's too.
 */
export function openSeeder(
  server: { dataDir: string; pg?: BenchDatabase | undefined },
  settings: Partial<SeedSettings>,
): Promise<Seeder> {
  const target = {
    dataDir: server.dataDir,
    databaseUrl: server.pg?.url,
    keyringUrl: undefined,
    masterKey: masterKeyOf(server.dataDir),
  };
  return Seeder.open(target, settings, { migrate: false });
}

export interface SeededServer extends FreshServer {
  seeder: Seeder;
  /**
   * Seeds accounts until there are `accounts`, then settles the database (statistics, no WAL) as one that
   * grew over months would be, and says what it wrote.
   */
  grow(accounts: number): Promise<{ seed: SeedReport; settleSeconds: number }>;
}

/**
 * A fresh server (withFreshServer) with a seeder on its database, for a part measured as the database
 * grows (bench/devices.ts, bench/scale.ts, bench/deletion.ts). `label` names the part in what it says.
 */
export async function withSeededServer<T>(
  part: {
    database: BenchDialect;
    build: ServerBuild;
    label: string;
    settings: Partial<SeedSettings>;
    say: (line: string) => void;
  },
  run: (seeded: SeededServer) => Promise<T>,
): Promise<T> {
  const { database, build, label, settings, say } = part;
  return withFreshServer(database, build, label, async (fresh) => {
    say(`\n${database}, ${label}: server pid ${fresh.server.pid}${fresh.pg ? ` on database ${fresh.pg.name}` : ''}`);
    const seeder = await openSeeder(fresh, settings);
    const grow = async (accounts: number) => {
      const seed = await seeder.growTo(accounts);
      const settleStarted = performance.now();
      await seeder.settle();
      const settleSeconds = round((performance.now() - settleStarted) / 1000, 1);
      const devices = accounts * seeder.settings.devicesPerAccount;
      say(
        `  seeded ${seed.accounts.toLocaleString('en-US')} accounts (${seed.rows.toLocaleString('en-US')} rows) in ${round(seed.seconds, 1)} s, settled in ${settleSeconds} s: ${accounts.toLocaleString('en-US')} accounts, ${devices.toLocaleString('en-US')} devices`,
      );
      return { seed, settleSeconds };
    };
    try {
      return await run({ ...fresh, seeder, grow });
    } finally {
      await seeder.close();
    }
  });
}

/** The master key the server runs with: LANYARD_MASTER_KEY when the bench inherited one, else the key file it made. */
export function masterKeyOf(dataDir: string): Buffer {
  const raw = process.env.LANYARD_MASTER_KEY;
  if (raw) return /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return loadOrCreateMasterKey(dataDir);
}

/** The server's resident memory now and at its peak, from /proc (MiB); undefined off Linux. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
