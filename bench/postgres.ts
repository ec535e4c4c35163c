import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the bench creates its throwaway database on; LANYARD_BENCH_POSTGRES_URL overrides it. */
export const BENCH_POSTGRES_URL = process.env.LANYARD_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

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
