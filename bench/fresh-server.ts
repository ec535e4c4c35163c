import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateMasterKey } from '../src/crypto/keys.js';
import { createBenchDatabase, type BenchDatabase } from './postgres.js';
import { startServer, type RunningServer, type ServerBuild } from './server.js';

export type BenchDialect = 'sqlite' | 'postgres';

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
