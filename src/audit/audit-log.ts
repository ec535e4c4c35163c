import { uuidv7 } from 'uuidv7';
import type { Executor } from '../db/schema.js';

/** One decision or irreversible act: no personal data, and the subject is a keyed hash. */
export interface AuditEntry {
  at: number;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  /**
   * Staff records: who did it, to which account, and why. Searchable while both accounts exist; the
   * erasure of either clears its id (and, for the account, the reason), leaving the hashed subject.
   */
  actorId?: string | undefined;
  accountId?: string | undefined;
  reason?: string | undefined;
}

/** Writes an audit record in the caller's transaction, so that it exists exactly when the act does. */
export async function writeAudit(executor: Executor, entry: AuditEntry): Promise<void> {
  await executor
    .insertInto('audit_records')
    .values({
      id: uuidv7(),
      at: entry.at,
      action: entry.action,
      subject: entry.subject,
      detail: JSON.stringify(entry.detail),
      actor_id: entry.actorId ?? null,
      account_id: entry.accountId ?? null,
      reason: entry.reason ?? null,
    })
    .execute();
}

/** The audit records about one subject, oldest first. */
export async function readAudit(
  executor: Executor,
  subject: string,
): Promise<Array<{ action: string; at: number; detail: Record<string, unknown> }>> {
  const rows = await executor
    .selectFrom('audit_records')
    .select(['action', 'at', 'detail'])
    .where('subject', '=', subject)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    action: row.action,
    at: row.at,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  }));
}

export interface AuditFilter {
  actorId?: string | undefined;
  accountId?: string | undefined;
  action?: string | undefined;
  since?: number | undefined;
  /** The last record of the previous page: its time and id. */
  after?: { at: number; id: string } | undefined;
  limit: number;
}

export interface AuditRecord {
  id: string;
  at: number;
  action: string;
  actorId: string | null;
  accountId: string | null;
  reason: string | null;
  detail: Record<string, unknown>;
}

/** A page of audit records, newest first, filtered by staff member, account, action and time. */
export async function listAudit(executor: Executor, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = executor
    .selectFrom('audit_records')
    .selectAll()
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit);
  if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId);
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
  const after = filter.after;
  if (after)
    query = query.where((eb) =>
      eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]),
    );
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    at: Number(row.at),
    action: row.action,
    actorId: row.actor_id,
    accountId: row.account_id,
    reason: row.reason,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  }));
}

/**
 * Forgets an account in the staff records (its erasure): they keep what was done and when, under the
 * keyed-hash subject; the account's id, and the reasons staff typed about it, go. A staff member's own
 * erasure clears them as the actor.
 */
export async function forgetAccountInAudit(executor: Executor, accountId: string): Promise<void> {
  await executor
    .updateTable('audit_records')
    .set({ account_id: null, reason: null })
    .where('account_id', '=', accountId)
    .execute();
  await executor.updateTable('audit_records').set({ actor_id: null }).where('actor_id', '=', accountId).execute();
}
