import { uuidv7 } from 'uuidv7';
import type { Executor } from '../db/schema.js';

/** One decision or irreversible act: no personal data, and the subject is a keyed hash. */
export interface AuditEntry {
  at: number;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

/** Writes an audit record in the caller's transaction, so that it exists exactly when the act does. */
export async function writeAudit(executor: Executor, entry: AuditEntry): Promise<void> {
  await executor.insertInto('audit_records').values({ id: uuidv7(), at: entry.at, action: entry.action, subject: entry.subject, detail: JSON.stringify(entry.detail) }).execute();
}

/** The audit records about one subject, oldest first. */
export async function readAudit(executor: Executor, subject: string): Promise<Array<{ action: string; at: number; detail: Record<string, unknown> }>> {
  const rows = await executor.selectFrom('audit_records').select(['action', 'at', 'detail']).where('subject', '=', subject).orderBy('at').orderBy('id').execute();
  return rows.map((row) => ({ action: row.action, at: row.at, detail: JSON.parse(row.detail) as Record<string, unknown> }));
}
