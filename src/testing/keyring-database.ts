import { randomBytes } from 'node:crypto';
import { runOnTestDatabase, TEST_POSTGRES_URL } from './pg-schema.js';

/** A PostgreSQL database of its own for a key ring (LANYARD_KEYRING_URL), on the test server. */
export interface KeyringDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database for a key ring; a whole database, as in production, apart from the main one. */
export async function createKeyringDatabase(): Promise<KeyringDatabase> {
  const name = `lanyard_keyring_${randomBytes(6).toString('hex')}`;
  await runOnTestDatabase(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => runOnTestDatabase(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
