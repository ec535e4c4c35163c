import assert from 'node:assert/strict';
import type { JobRow } from '../db/schema.js';
import { MESSAGE_JOB } from '../messaging/service.js';
import type { TestApp } from './test-app.js';

/** The code in a message: API.md promises it is the only 6-digit number in the text. */
export function codeIn(text: string): string {
  const codes = (text.match(/\d+/g) ?? []).filter((n) => n.length === 6);
  assert.equal(codes.length, 1, `exactly one 6-digit number in: ${text}`);
  return codes[0]!;
}

/** The message jobs in the database, oldest first. */
export async function messageJobs(t: TestApp): Promise<JobRow[]> {
  return t.app.database.db
    .selectFrom('jobs')
    .selectAll()
    .where('kind', '=', MESSAGE_JOB)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Puts a delivered job's row back, as if the worker had crashed after sending and before deleting it. */
export async function crashBeforeDelete(t: TestApp, job: JobRow): Promise<void> {
  await t.app.database.db.insertInto('jobs').values(job).execute();
}
