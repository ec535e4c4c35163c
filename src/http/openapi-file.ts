import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { sortKeys } from './openapi.js';

/** The committed document, from which the web client is generated (openapi-typescript). */
export const OPENAPI_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'openapi',
  'lanyard.json',
);

/**
 * The served document as it is committed: keys sorted so that a diff shows only real changes, and without
 * `servers`, which names the server it came from (clients give their own base URL).
 */
export function committedForm(document: unknown): string {
  const { servers: _servers, ...rest } = document as Record<string, unknown>;
  return `${JSON.stringify(sortKeys(rest as never), null, 2)}\n`;
}

/** Builds the real wiring on a throwaway SQLite database and returns its document in committed form. */
export async function generateDocument(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-openapi-'));
  try {
    const config = loadConfig({
      LANYARD_DATA_DIR: dataDir,
      LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
      LANYARD_LOG_LEVEL: 'silent',
    });
    const app = await createApp({ config, logger: false, database: { sqlitePath: ':memory:' } });
    try {
      return committedForm(app.http.swagger());
    } finally {
      await app.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
