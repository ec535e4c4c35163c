import { maskEmail, maskPhone, normalizeEmail, parseLogin } from '../accounts/addresses.js';
import type { AccountService } from '../accounts/service.js';
import { listAudit, writeAudit, type AuditRecord } from '../audit/audit-log.js';
import { iso, type Clock } from '../clock.js';
import type { CreditService } from '../credits/service.js';
import { hmac } from '../crypto/tokens.js';
import type { AccountRow, Db, Executor } from '../db/schema.js';
import type { DeviceService } from '../devices/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import type { AuthContext } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import type { MessageService } from '../messaging/service.js';
import type { SessionService } from '../sessions/service.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { TwoStepService } from '../two-step/service.js';
import type { UnlockRequestService } from '../unlock/service.js';
import type { WebhookService } from '../webhooks/service.js';
import type { StaffRepository } from './repository.js';

/** What the person sees as the origin of what staff did: who, never the staff member's address. */
const STAFF_ORIGIN: RequestOrigin = { ip: '', client: 'Lanyard support' };
const REASON_MAX = 500;
const RECENT_EVENTS = 20;
export const AUDIT_PAGE_MAX = 200;

export type AccountState = AccountRow['status'] | 'suspended';

export interface AccountMatch {
  id: string;
  email: string | null;
  phone: string | null;
  createdAt: string;
  status: AccountState;
  matchedBy: 'id' | 'email' | 'phone' | 'serial' | 'imei';
}

export interface StaffMemberView {
  id: string;
  email: string | null;
  role: 'support' | 'admin';
  secondFactor: boolean;
  createdAt: string;
}

export interface StaffDeps {
  db: Db;
  repository: StaffRepository;
  accounts: AccountService;
  sessions: SessionService;
  devices: DeviceService;
  events: SecurityEventService;
  credits: CreditService;
  unlock: UnlockRequestService;
  twoStep: TwoStepService;
  sessionEnding: SessionEnding;
  webhooks: WebhookService;
  messages: MessageService;
  /** Names accounts in the audit by the same keyed hash as their tombstone (DeletionService.accountHash). */
  accountHash: (accountId: string) => string;
  lookupKey: Buffer;
  clock: Clock;
}

/** The reason staff give for a lookup or an act: required, one line of reasonable length. */
export function requireReason(reason: string | undefined): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed.length === 0)
    throw new AppError(
      'staff.reason_required',
      'Give the reason (the reason parameter or field), e.g. "unlock request 123"',
    );
  if (trimmed.length > REASON_MAX || /[\x00-\x1f\x7f]/.test(trimmed)) {
    throw new AppError('validation_failed', `reason must be one line of at most ${REASON_MAX} characters`, {
      errors: [{ path: 'reason', message: `must be one line of at most ${REASON_MAX} characters` }],
    });
  }
  return trimmed;
}

/**
 * What staff do to people's accounts: find them, look at them, suspend and restore them, end their
 * sessions; and the staff list itself. Every look and every act names a reason, is written to the
 * audit log (who, whom, why, when) and, where it concerns a person, shows in their own activity.
 */
export class StaffService {
  constructor(private readonly deps: StaffDeps) {}

  private now(): number {
    return this.deps.clock.now();
  }

  /** Writes the audit record and tells the person (a security event with the reason), in one transaction. */
  private async record(
    executor: Executor,
    staff: AuthContext,
    action: string,
    account: string | undefined,
    reason: string | undefined,
    detail: Record<string, unknown> = {},
    event?: 'staff_access' | 'account.suspended' | 'account.restored' | 'sessions.ended_by_staff',
  ) {
    await writeAudit(executor, {
      at: this.now(),
      action,
      subject: account ? this.deps.accountHash(account) : hmac(this.deps.lookupKey, 'audit', action),
      detail,
      actorId: staff.accountId,
      accountId: account,
      reason,
    });
    if (event && account)
      await this.deps.events.record(
        executor,
        account,
        event,
        STAFF_ORIGIN,
        reason !== undefined ? { reason } : undefined,
      );
  }

  private async stateOf(account: AccountRow, executor?: Executor): Promise<AccountState> {
    if (account.status === 'active' && (await this.deps.repository.getSuspension(account.id, executor)))
      return 'suspended';
    return account.status;
  }

  private async accountOrThrow(id: string, executor?: Executor): Promise<AccountRow> {
    const account = await this.deps.accounts.get(id, executor).catch(() => undefined);
    if (!account || account.status === 'erasing') throw new AppError('not_found', 'No such account');
    return account;
  }

  /** GET /v1/admin/accounts: accounts by email, phone, id, or a device's serial or IMEI; each match is a lookup. */
  async search(staff: AuthContext, q: string, rawReason: string | undefined): Promise<AccountMatch[]> {
    const reason = requireReason(rawReason);
    const query = q.trim();
    const found = new Map<string, AccountMatch['matchedBy']>();
    const login = parseLogin(query);
    const byLogin = await this.deps.accounts.findByLogin(login).catch(() => undefined);
    if (byLogin) found.set(byLogin.id, login.kind);
    // Serials and IMEIs are looked for whatever the query looks like: a serial may look like anything.
    if (login.kind === 'id')
      for (const { accountId, by } of await this.deps.devices.accountsOfSerial(query))
        if (!found.has(accountId)) found.set(accountId, by);
    const matches: AccountMatch[] = [];
    for (const [id, matchedBy] of found) {
      const account = await this.deps.accounts.get(id).catch(() => undefined);
      if (!account || account.status === 'erasing') continue;
      matches.push({
        id,
        email: account.email ? maskEmail(account.email) : null,
        phone: account.phone ? maskPhone(account.phone) : null,
        createdAt: iso(Number(account.created_at)),
        status: await this.stateOf(account),
        matchedBy,
      });
    }
    await this.deps.db.transaction().execute(async (trx) => {
      if (matches.length === 0)
        await this.record(trx, staff, 'staff.account_search', undefined, reason, { matches: 0 });
      for (const match of matches)
        await this.record(
          trx,
          staff,
          'staff.account_found',
          match.id,
          reason,
          { matchedBy: match.matchedBy },
          'staff_access',
        );
    });
    return matches;
  }

  /** GET /v1/admin/accounts/{id}: the account as staff see it, its addresses masked. */
  async view(staff: AuthContext, id: string, rawReason: string | undefined) {
    const reason = requireReason(rawReason);
    const account = await this.accountOrThrow(id);
    // Audited (and shown to the person) before anything is read out: a view that fails halfway was still a look.
    await this.deps.db
      .transaction()
      .execute((trx) => this.record(trx, staff, 'staff.account_viewed', id, reason, {}, 'staff_access'));
    const [status, devices, sessions, events, credits, lockLookups, gate] = await Promise.all([
      this.stateOf(account),
      this.deps.devices.listOf(id),
      this.deps.sessions.listOf(id),
      this.deps.events.list(id, RECENT_EVENTS),
      this.deps.credits.balance(id),
      this.deps.devices.lockLookupsOf(id),
      this.deps.twoStep.gate(id),
    ]);
    const suspension = status === 'suspended' ? await this.deps.repository.getSuspension(id) : undefined;
    return {
      profile: {
        id,
        email: account.email ? maskEmail(account.email) : null,
        phone: account.phone ? maskPhone(account.phone) : null,
        name: account.name,
        locale: account.locale,
        role: account.role,
        createdAt: iso(Number(account.created_at)),
      },
      status,
      suspendedAt: suspension ? iso(Number(suspension.suspended_at)) : null,
      twoStep: { enabled: gate.methods.some((method) => method !== 'recovery_code'), locked: gate.locked },
      devices: devices.map(
        ({ id: deviceId, name, model, kind, serialHint, linkedAt, lastSeenAt, locked, tokenActive }) => ({
          id: deviceId,
          name,
          model,
          kind,
          serialHint,
          linkedAt,
          lastSeenAt,
          locked,
          tokenActive,
        }),
      ),
      sessions: sessions.map(({ id: sessionId, kind, createdAt, lastUsedAt, expiresAt, ip, client }) => ({
        id: sessionId,
        kind,
        createdAt,
        lastUsedAt,
        expiresAt,
        ip,
        client,
      })),
      events: events.map(({ id: eventId, type, at, ip, client, reason: why }) => ({
        id: eventId,
        type,
        at,
        ip,
        client,
        ...(why !== undefined ? { reason: why } : {}),
      })),
      credits: { balance: credits, currency: 'credits' as const },
      deletion: { status: account.status === 'active' ? ('none' as const) : account.status },
      unlockRequests: await this.deps.unlock.listForLookups(lockLookups),
    };
  }

  /** POST /v1/admin/accounts/{id}/reveal: the unmasked addresses, audited and shown to the person like a look. */
  async reveal(
    staff: AuthContext,
    id: string,
    rawReason: string | undefined,
  ): Promise<{ id: string; email: string | null; phone: string | null }> {
    const reason = requireReason(rawReason);
    const account = await this.accountOrThrow(id);
    await this.deps.db
      .transaction()
      .execute((trx) => this.record(trx, staff, 'staff.account_revealed', id, reason, {}, 'staff_access'));
    return { id, email: account.email, phone: account.phone };
  }

  /**
   * Suspends the account: nobody signs in to it (account.suspended), its web and API sessions and app
   * tokens end, its devices stay locked to it (device tokens stay, as with the owner's own lock), and
   * the person is told at every address, with the reason.
   */
  async suspend(staff: AuthContext, id: string, rawReason: string | undefined) {
    const reason = requireReason(rawReason);
    if (id === staff.accountId) throw new AppError('staff.own_account');
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const account = await this.accountOrThrow(id, trx);
      if (account.status !== 'active') throw new AppError('conflict', 'The account is being deleted');
      if (!(await this.deps.repository.createSuspension(trx, id, now))) throw new AppError('account.already_suspended');
      const ended = await this.deps.sessionEnding.takeOffline(trx, id);
      await this.record(
        trx,
        staff,
        'staff.account_suspended',
        id,
        reason,
        { sessionsEnded: ended },
        'account.suspended',
      );
      await this.deps.accounts.tellEveryAddress(trx, account, {
        kind: 'account_suspended',
        params: { at: new Date(now).toUTCString(), reason },
      });
    });
    return { id, status: 'suspended' as const, suspendedAt: iso(now) };
  }

  /** Lifts a suspension: the person may sign in again, and is told so. */
  async restore(staff: AuthContext, id: string, rawReason: string | undefined) {
    const reason = requireReason(rawReason);
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const account = await this.accountOrThrow(id, trx);
      if (!(await this.deps.repository.deleteSuspension(trx, id))) throw new AppError('account.not_suspended');
      await this.record(trx, staff, 'staff.account_restored', id, reason, {}, 'account.restored');
      await this.deps.accounts.tellEveryAddress(trx, account, {
        kind: 'account_restored',
        params: { at: new Date(now).toUTCString(), reason },
      });
    });
    return { id, status: 'active' as const, restoredAt: iso(now) };
  }

  /** DELETE /v1/admin/accounts/{id}/sessions: every web and API session and app token ends (device tokens stay). */
  async endSessions(staff: AuthContext, id: string, rawReason: string | undefined): Promise<{ ended: number }> {
    const reason = rawReason === undefined ? undefined : requireReason(rawReason);
    return this.deps.db.transaction().execute(async (trx) => {
      await this.accountOrThrow(id, trx);
      const ended = await this.deps.sessionEnding.takeOffline(trx, id);
      await this.record(
        trx,
        staff,
        'staff.sessions_ended',
        id,
        reason,
        { sessionsEnded: ended },
        'sessions.ended_by_staff',
      );
      return { ended };
    });
  }

  /**
   * GET /v1/admin/accounts/{id}/credits: the ledger, a page at a time. Audited with its reason; the look
   * at the account that led here (GET /v1/admin/accounts/{id}) is the one the person sees.
   */
  async creditsOf(staff: AuthContext, id: string, cursor: string | undefined, rawReason: string | undefined) {
    const reason = requireReason(rawReason);
    await this.accountOrThrow(id);
    await this.deps.db
      .transaction()
      .execute((trx) => this.record(trx, staff, 'staff.credits_viewed', id, reason, { cursor: cursor ?? null }));
    return this.deps.credits.history(id, cursor);
  }

  /** GET /v1/admin/audit: a page of records, newest first; the cursor is the last record's time and id. */
  async audit(filter: {
    staff?: string | undefined;
    account?: string | undefined;
    action?: string | undefined;
    since?: string | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  }) {
    const limit = filter.limit ?? 50;
    const after = filter.cursor === undefined ? undefined : parseCursor(filter.cursor);
    const since = filter.since === undefined ? undefined : Date.parse(filter.since);
    if (since !== undefined && Number.isNaN(since))
      throw new AppError('validation_failed', 'since must be a date-time', {
        errors: [{ path: 'since', message: 'must be an ISO 8601 date-time' }],
      });
    // A staff member is named by account id or by email (what a person searching the log knows).
    let actorId = filter.staff;
    if (actorId?.includes('@'))
      actorId =
        (await this.deps.accounts.findByLogin({ kind: 'email', value: actorId.trim().toLowerCase() }))?.id ??
        'no such staff member';
    const rows = await listAudit(this.deps.db, {
      actorId,
      accountId: filter.account,
      action: filter.action,
      since,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    // Staff are few: each one's email is read once for the page, so that the log says who in words.
    const emails = new Map<string, string | null>();
    for (const id of new Set(page.flatMap((record) => (record.actorId ? [record.actorId] : [])))) {
      emails.set(id, (await this.deps.accounts.get(id).catch(() => undefined))?.email ?? null);
    }
    return {
      records: page.map((record) => auditView(record, record.actorId ? (emails.get(record.actorId) ?? null) : null)),
      cursor: rows.length > limit && last ? Buffer.from(`${last.at}:${last.id}`).toString('base64url') : null,
    };
  }

  /** POST /v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver, audited. */
  async redeliver(staff: AuthContext, endpointId: string, deliveryId: string) {
    return this.deps.db.transaction().execute(async (trx) => {
      const delivery = await this.deps.webhooks.redeliver(trx, endpointId, deliveryId);
      await this.record(trx, staff, 'staff.webhook_redelivered', undefined, undefined, {
        webhook: endpointId,
        delivery: deliveryId,
      });
      return delivery;
    });
  }

  /** POST /v1/admin/webhooks/{id}/secret: a new signing secret, shown once; audited (never the secret). */
  async rotateWebhookSecret(staff: AuthContext, endpointId: string) {
    return this.deps.db.transaction().execute(async (trx) => {
      const rotated = await this.deps.webhooks.rotateSecret(trx, endpointId);
      await this.record(trx, staff, 'staff.webhook_secret_rotated', undefined, undefined, {
        webhook: endpointId,
        previousSecretUntil: rotated.previousSecretUntil,
      });
      return rotated;
    });
  }

  /** GET /v1/admin/staff. */
  async listStaff(): Promise<StaffMemberView[]> {
    const rows = await this.deps.accounts.listStaff();
    return Promise.all(rows.map((row) => this.staffView(row)));
  }

  private async staffView(row: AccountRow): Promise<StaffMemberView> {
    const gate = await this.deps.twoStep.gate(row.id);
    return {
      id: row.id,
      email: row.email,
      role: row.role as 'support' | 'admin',
      secondFactor: gate.methods.some((m) => m !== 'recovery_code'),
      createdAt: iso(Number(row.created_at)),
    };
  }

  /**
   * POST /v1/admin/staff: makes an existing account staff (or changes its role). The person signs up
   * first; until they enrol two-step verification, staff routes refuse them.
   */
  async addStaff(
    staff: AuthContext,
    input: { email: string; role: 'support' | 'admin' },
  ): Promise<{ member: StaffMemberView; created: boolean }> {
    const email = normalizeEmail(input.email);
    const account = await this.deps.accounts.findByLogin({ kind: 'email', value: email });
    if (!account || account.status !== 'active')
      throw new AppError('not_found', 'No account has this email: the person signs up first');
    if (account.id === staff.accountId) throw new AppError('staff.own_account');
    const created = account.role === 'user';
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.accounts.setRole(trx, account.id, input.role);
      await this.record(trx, staff, 'staff.staff_added', account.id, undefined, {
        role: input.role,
        previousRole: account.role,
      });
    });
    return { member: await this.staffView({ ...account, role: input.role }), created };
  }

  /** DELETE /v1/admin/staff/{accountId}: the account becomes a person's account again. */
  async removeStaff(staff: AuthContext, accountId: string): Promise<void> {
    if (accountId === staff.accountId) throw new AppError('staff.own_account');
    const account = await this.deps.accounts.get(accountId).catch(() => undefined);
    if (!account || account.role === 'user') throw new AppError('not_found', 'No staff member has this id');
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.accounts.setRole(trx, accountId, 'user');
      await this.record(trx, staff, 'staff.staff_removed', accountId, undefined, { previousRole: account.role });
    });
  }
}

function parseCursor(cursor: string): { at: number; id: string } {
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new AppError('cursor_invalid', 'The cursor is not one this server gave out; start from the first page');
  return { at: Number(match[1]), id: match[2]! };
}

function auditView(record: AuditRecord, staffEmail: string | null) {
  return {
    id: record.id,
    at: iso(record.at),
    action: record.action,
    staffId: record.actorId,
    staffEmail,
    accountId: record.accountId,
    reason: record.reason,
    detail: record.detail,
  };
}

/** A cell of the CSV download: quoted, and never read as a formula by a spreadsheet (CSV injection). */
function csvCell(value: string | null): string {
  const text = value ?? '';
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** The CSV download's header row (RFC 4180). */
export const AUDIT_CSV_HEADER = `${['id', 'at', 'action', 'staffId', 'staffEmail', 'accountId', 'reason', 'detail'].join(',')}\r\n`;

/** Audit records as CSV rows (RFC 4180), each ending in CRLF. */
export function auditCsvRows(records: ReturnType<typeof auditView>[]): string {
  return records
    .map(
      (r) =>
        `${[r.id, r.at, r.action, r.staffId, r.staffEmail, r.accountId, r.reason, JSON.stringify(r.detail)]
          .map(csvCell)
          .join(',')}\r\n`,
    )
    .join('');
}
