import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { describePostgresUrl } from '../src/config.js';

const LOCAL_SOCKET_DIR = '/var/run/postgresql';

/**
 * The server the bench creates its throwaway database on; LANYARD_BENCH_POSTGRES_URL overrides it. A
 * PostgreSQL on this machine is reached through its Unix socket, as a server sharing a machine with its
 * database should be: over TCP loopback, the kernel's TCP work at both ends of each query takes cores
 * from argon2 (about 1.5 points of the sign-in ratio, bench/README.md).
 */
export const BENCH_POSTGRES_URL =
  process.env.LANYARD_BENCH_POSTGRES_URL ||
  (fs.existsSync(`${LOCAL_SOCKET_DIR}/.s.PGSQL.5432`)
    ? `postgres://postgres@${encodeURIComponent(LOCAL_SOCKET_DIR)}/test`
    : 'postgres://postgres@127.0.0.1:5432/test');

/** How the bench reaches PostgreSQL, for the result: as the server's start-up banner says it. */
export function benchPostgresConnection(): string {
  return describePostgresUrl(BENCH_POSTGRES_URL);
}

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates a fresh database, so that every run starts from the same empty tables. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `lanyard_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(BENCH_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
