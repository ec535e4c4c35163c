import pg from 'pg';

/** PostgreSQL for tests: LANYARD_TEST_DATABASE_URL, or the local server's `test` database. */
export const TEST_POSTGRES_URL = process.env.LANYARD_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on the test database with a short-lived connection. */
export async function runOnTestDatabase(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Creates a schema of its own for one test app, so that test files can share the database in parallel;
 * a test that restarts its app on the same schema may ask again.
 */
export function createTestSchema(schema: string): Promise<void> {
  return runOnTestDatabase(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
}

/** Drops a test schema and everything in it. */
export function dropTestSchema(schema: string): Promise<void> {
  return runOnTestDatabase(`DROP SCHEMA ${schema} CASCADE`);
}
