import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { errorRegistry, type ErrorCode } from '../http/errors.js';
import type { Api } from './api-types.js';
import type { TestAccount, TestApp, TestResponse } from './test-app.js';

// Support for the bad-input tests: what every refusal must look like, and proof that it changed nothing.

/** Frames of a stack trace, or paths of our files: neither may ever reach a client. */
const INTERNALS = [/\bat \S+ \(/, /\bat (file:|\/)/, /\.(ts|js|mjs|cjs):\d+/, /node_modules/, /file:\/\//, /"stack"/];

/**
 * Asserts that a response is an RFC 9457 problem with the expected status and stable code: every field
 * API.md names, the request id of the response, `errors` for validation_failed, nothing internal.
 */
export function assertProblem(response: TestResponse, status: number, code: ErrorCode, context = ''): void {
  const where = `${context}${context ? ': ' : ''}${response.status} ${response.text.slice(0, 500)}`;
  assert.equal(response.status, status, where);
  assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', where);
  const body = response.body as Record<string, unknown>;
  assert.equal(body.code, code, where);
  assert.equal(body.status, status, where);
  assert.equal(body.type, `urn:lanyard:problem:${code}`, where);
  assert.equal(body.title, errorRegistry[code].title, where);
  assert.equal(typeof body.detail, 'string', where);
  assert.ok((body.detail as string).length > 0, where);
  assert.equal(body.requestId, response.headers['x-request-id'], where);
  for (const pattern of INTERNALS) assert.doesNotMatch(response.text, pattern, `internals leaked: ${where}`);
  if (code === 'validation_failed') {
    assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `validation_failed needs errors: ${where}`);
    for (const error of body.errors as unknown[]) {
      const { path, message } = error as Record<string, unknown>;
      assert.ok(
        typeof path === 'string' && path.length > 0 && typeof message === 'string' && message.length > 0,
        `errors need {path, message}: ${where}`,
      );
    }
  }
}

/** The paths that a validation_failed problem names. */
export function errorPaths(response: TestResponse): string[] {
  const problem = response.body as Api<'Problem'> | undefined;
  return (problem?.errors ?? []).map((e) => e.path);
}

/** The foundation's tables: a refused request must leave every row of them as it was. */
const TABLES = ['accounts', 'sessions', 'verification_codes', 'security_events', 'known_clients', 'jobs'] as const;
export type Table = (typeof TABLES)[number];

export interface Snapshot {
  views: Record<string, unknown>;
  rows: Record<string, unknown[]>;
  messages: number;
}

/**
 * Everything a request could change: what each account sees of itself (profile, sessions, security
 * events), every row of the foundation's tables, and the messages sent. Jobs that were already due run
 * first, so that a job a refused request enqueued would show up as a message and a row.
 */
export async function snapshot(
  t: TestApp,
  accounts: TestAccount[],
  options: { ignore?: Table[] } = {},
): Promise<Snapshot> {
  await t.drainJobs();
  const views: Record<string, unknown> = {};
  for (const account of accounts) {
    for (const path of ['/v1/me', '/v1/sessions', '/v1/me/events']) {
      const view = await t.request('GET', path, { token: account.token });
      assert.equal(view.status, 200, `reading ${path} for the snapshot: ${view.text}`);
      views[`${account.id} ${path}`] = view.body;
    }
  }
  const rows: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    if (options.ignore?.includes(table)) continue;
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(t.app.database.db);
    rows[table] = result.rows.map((row) => JSON.stringify(row)).sort();
  }
  return { views, rows, messages: t.messages.sent.length };
}

/** Runs a request that must be refused, and asserts that nothing changed because of it. */
export async function assertChangesNothing<T>(
  t: TestApp,
  accounts: TestAccount[],
  run: () => Promise<T>,
  options: { ignore?: Table[] } = {},
): Promise<T> {
  const before = await snapshot(t, accounts, options);
  const result = await run();
  const after = await snapshot(t, accounts, options);
  assert.deepEqual(after, before, 'a refused request changed something');
  return result;
}
