import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../app.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config.js';
import type { OutgoingMessage, MessageTransport } from '../messaging/transports.js';
import type { BearerSession } from './api-types.js';
import { createTestSchema, dropTestSchema, TEST_POSTGRES_URL } from './pg-schema.js';

export type TestDatabase = 'sqlite' | 'postgres';

export { TEST_POSTGRES_URL };

/**
 * The databases every storage test runs on. Both, always: PostgreSQL is skipped only when the run says
 * so explicitly (LANYARD_TEST_DATABASES=sqlite), never because it happens to be down.
 */
export function testDatabases(): TestDatabase[] {
  const wanted = (process.env.LANYARD_TEST_DATABASES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  return (['sqlite', 'postgres'] as const).filter((d) => wanted.includes(d));
}

/** Captures messages instead of sending them; can be told to fail, like a provider that is down. */
export class CapturingTransport implements MessageTransport {
  readonly sent: OutgoingMessage[] = [];
  failing = false;
  async send(message: OutgoingMessage): Promise<void> {
    if (this.failing) throw new Error('provider unavailable (test)');
    this.sent.push(message);
  }
  to(address: string): OutgoingMessage[] {
    return this.sent.filter((m) => m.to === address);
  }
  /**
   * The 6-digit code of the newest message to an address that carries one. Notices (a passkey added,
   * a new sign-in) carry no code and may be sent in any order next to a code, as a real inbox shows.
   */
  lastCode(address: string): string {
    const messages = this.to(address).filter((m) => /\b\d{6}\b/.test(m.text));
    const text = messages[messages.length - 1]?.text ?? '';
    const codes = text.match(/\b\d{6}\b/g) ?? [];
    if (codes.length !== 1)
      throw new Error(`expected exactly one code in the last message to ${address}, found ${codes.length}: ${text}`);
    return codes[0]!;
  }
}

export interface TestResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body sent as is (malformed JSON tests). */
  payload?: string | Buffer;
  token?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  ip?: string;
}

export interface TestApp {
  readonly app: App;
  readonly clock: ManualClock;
  readonly messages: CapturingTransport;
  readonly database: TestDatabase;
  request<T = unknown>(method: string, url: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** Runs every job that is due, as the worker would. */
  drainJobs(): Promise<number>;
  /** Signs up a fresh account through the API and returns its credentials. */
  signUp(options?: {
    email?: string;
    phone?: string;
    password?: string;
    name?: string;
    client?: string;
  }): Promise<TestAccount>;
  close(): Promise<void>;
}

export interface TestAccount {
  id: string;
  email?: string;
  phone?: string;
  password: string;
  token: string;
}

let counter = 0;
/** A unique email for this test run. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(4).toString('hex')}@example.com`;
}
/** A unique, valid Spanish mobile number. */
export function uniquePhone(): string {
  counter += 1;
  return `+346${String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0')}`;
}

export interface TestAppOptions {
  database?: TestDatabase;
  env?: Record<string, string>;
  dataDir?: string;
  /** Sends through the configured transports (SMTP, SMS webhook, dev outbox) instead of capturing. */
  realTransports?: boolean;
  /** Opens this SQLite file instead of a database in memory (to reopen it after a restart). */
  sqlitePath?: string;
  /** Uses this existing PostgreSQL schema, which the app neither creates nor drops (to reopen it). */
  pgSchema?: string;
}

/** Builds the real app on a fresh database (SQLite in memory, or a PostgreSQL schema of its own). */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? 'sqlite';
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-test-'));
  const config = loadConfig({
    LANYARD_DATA_DIR: dataDir,
    LANYARD_MASTER_KEY: randomBytes(32).toString('hex'),
    LANYARD_LOG_LEVEL: 'silent',
    // Load shedding reads the event loop's delay, which on a machine shared by parallel test files says more
    // about the neighbours than about the app; the tests of overload turn it back on with their own values.
    LANYARD_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...options.env,
  });
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const messages = new CapturingTransport();
  let schema: string | undefined;
  if (database === 'postgres' && !options.pgSchema) {
    schema = `test_${randomBytes(6).toString('hex')}`;
    await createTestSchema(schema);
  }
  const app = await createApp({
    config,
    clock,
    ...(options.realTransports ? {} : { transport: messages }),
    logger: false,
    // Small pools: test files run in parallel, each with several apps, under PostgreSQL's 100 connections.
    database:
      database === 'postgres'
        ? { url: TEST_POSTGRES_URL, pgSchema: options.pgSchema ?? schema!, poolSize: 6 }
        : { sqlitePath: options.sqlitePath ?? ':memory:' },
  });

  const request = async <T>(method: string, url: string, opts: RequestOptions = {}): Promise<TestResponse<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | Buffer | undefined = opts.payload;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.http.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
      ...(opts.cookies ? { cookies: opts.cookies } : {}),
      ...(opts.ip ? { remoteAddress: opts.ip } : {}),
    });
    let body: unknown;
    if (response.body.length > 0 && /json/.test(String(response.headers['content-type'])))
      body = JSON.parse(response.body);
    return { status: response.statusCode, headers: response.headers, body: body as T, text: response.body };
  };

  const drainJobs = () => app.jobs.runDue();

  const testApp: TestApp = {
    app,
    clock,
    messages,
    database,
    request,
    drainJobs,
    async signUp(opts = {}) {
      const password = opts.password ?? `pw-${randomBytes(6).toString('hex')}`;
      const address = opts.phone ? { phone: opts.phone } : { email: opts.email ?? uniqueEmail() };
      const to = opts.phone ?? address.email!;
      const headers = { 'user-agent': opts.client ?? 'lanyard-tests' };
      const started = await request('POST', '/v1/signup', { body: address, headers });
      if (started.status !== 202) throw new Error(`sign-up failed: ${started.status} ${started.text}`);
      await drainJobs();
      const code = messages.lastCode(to);
      // A session not kept in a cookie answers with its bearer token.
      const done = await request<BearerSession>('POST', '/v1/signup/complete', {
        body: { ...address, code, password, ...(opts.name ? { name: opts.name } : {}) },
        headers,
      });
      if (done.status !== 201) throw new Error(`sign-up completion failed: ${done.status} ${done.text}`);
      return { id: done.body.account.id, ...address, password, token: done.body.token };
    },
    async close() {
      await app.close();
      if (schema) await dropTestSchema(schema);
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return testApp;
}
