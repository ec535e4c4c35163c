import type { FastifyBaseLogger } from 'fastify';
import { uuidv7 } from 'uuidv7';
import { writeAudit } from '../audit/audit-log.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { normalizeEmail } from '../accounts/addresses.js';
import type { AccountService } from '../accounts/service.js';
import type { CaptchaService } from '../captcha/service.js';
import { iso, type Clock } from '../clock.js';
import { openText, sealText } from '../crypto/sealing.js';
import { constantTimeEqual, hmac, newToken, sha256 } from '../crypto/tokens.js';
import type { AccountRow, Db, Executor, UnlockRequestRow, UnlockRequestStatus } from '../db/schema.js';
import type { DeviceService } from '../devices/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import type { AuthContext } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { JobService } from '../jobs/service.js';
import type { MessageService } from '../messaging/service.js';
import type { MessageParams } from '../messaging/templates.js';
import type { UnlockRequestRepository } from './repository.js';

const RELEASE_JOB = 'unlock.release';
/** A request that ended (released, rejected, objected) is kept this long for questions, then deleted with the requester's data. */
export const ENDED_REQUEST_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** How many requests the staff list shows at once (newest first). */
const LIST_LIMIT = 200;
/** What the owner's events show as the origin of steps taken by support and by the waiting period. */
const SUPPORT_ORIGIN: RequestOrigin = { ip: '', client: 'Lanyard support (unlock request)' };

export const PROOF_KINDS = ['receipt', 'invoice', 'carrier_contract', 'warranty_card', 'other'] as const;
export type ProofKind = (typeof PROOF_KINDS)[number];

export interface UnlockRequestInput {
  serial: string;
  contact: { email: string };
  proof: { kind: ProofKind; text?: string | undefined };
}

/** What the requester gave: sealed in the row, since the requester has no account and so no data key. */
interface Requester {
  email: string;
  proof: { kind: ProofKind; text: string | null };
}

/** What the requester (with the status token) and the objecting owner see. */
export interface UnlockRequestView {
  id: string;
  status: UnlockRequestStatus;
  createdAt: string;
  decidedAt: string | null;
  releaseAt: string | null;
  releasedAt: string | null;
}

/** What staff see to decide: the proof, the contact, and whether the device is locked now. */
export interface StaffUnlockRequestView extends UnlockRequestView {
  serialHint: string;
  contact: { email: string };
  proof: { kind: ProofKind; text: string | null };
  /** Whether a lock is held on the serial (or IMEI) now, and whether its holder is an active account that will be told. */
  lock: { locked: boolean; ownerActive: boolean };
}

export interface UnlockOptions {
  waitSeconds: number;
  baseUrl: string;
}

/**
 * Unlock requests: someone holding a device locked to an account they cannot use asks for the lock to
 * be released, with proof. Staff approve or reject it; an approval starts a waiting period, during
 * which the owner is told and may object; at its end the lock is released and the device leaves the
 * owner's account. The request never names the owner (see the migration): the lock does.
 */
export class UnlockRequestService {
  private readonly db: Db;
  private readonly repository: UnlockRequestRepository;
  private readonly devices: DeviceService;
  private readonly accounts: AccountService;
  private readonly events: SecurityEventService;
  private readonly messages: MessageService;
  private readonly rateLimits: RateLimits;
  private readonly captcha: CaptchaService;
  private readonly jobs: JobService;
  private readonly sealKey: Buffer;
  private readonly lookupKey: Buffer;
  private readonly clock: Clock;
  private readonly log: FastifyBaseLogger;
  private readonly options: UnlockOptions;

  constructor(deps: {
    db: Db;
    repository: UnlockRequestRepository;
    devices: DeviceService;
    accounts: AccountService;
    events: SecurityEventService;
    messages: MessageService;
    rateLimits: RateLimits;
    captcha: CaptchaService;
    jobs: JobService;
    sealKey: Buffer;
    lookupKey: Buffer;
    clock: Clock;
    log: FastifyBaseLogger;
    options: UnlockOptions;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.devices = deps.devices;
    this.accounts = deps.accounts;
    this.events = deps.events;
    this.messages = deps.messages;
    this.rateLimits = deps.rateLimits;
    this.captcha = deps.captcha;
    this.jobs = deps.jobs;
    this.sealKey = deps.sealKey;
    this.lookupKey = deps.lookupKey;
    this.clock = deps.clock;
    this.log = deps.log;
    this.options = deps.options;
  }

  /**
   * Takes a request. The answer is the same whether or not the serial is locked, and to which account:
   * nothing is looked up here, so that the form is no oracle of who owns what.
   */
  async submit(
    input: UnlockRequestInput & { captcha?: string | undefined },
    locale: string,
    origin: RequestOrigin,
  ): Promise<{ id: string; status: 'submitted'; statusToken: string }> {
    await this.captcha.accept(input.captcha);
    const email = normalizeEmail(input.contact.email, 'body.contact.email');
    const text = input.proof.text?.normalize('NFC').trim() || null;
    if (input.proof.kind === 'other' && !text)
      throw invalidField('body.proof.text', 'describe the proof when its kind is "other"');
    if (text && /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text))
      throw invalidField('body.proof.text', 'must not contain control characters');
    const lookups = this.devices.lookupsOf(input.serial);
    await this.rateLimits.consumeUnlockRequest(lookups[0]!, origin.ip);

    const id = uuidv7();
    const statusToken = newToken();
    const requester: Requester = { email, proof: { kind: input.proof.kind, text } };
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await this.repository.create(trx, {
        id,
        status: 'submitted',
        status_token_hash: sha256(statusToken),
        lookups: JSON.stringify(lookups),
        serial_hint: input.serial.trim().toUpperCase().slice(-4),
        requester_sealed: sealText(this.sealKey, JSON.stringify(requester), requesterAad(id)),
        locale,
        created_at: now,
        decided_at: null,
        release_at: null,
        released_at: null,
        closed_at: null,
      });
      await this.audit(trx, id, 'unlock_request.submitted', {});
      await this.tellRequester(trx, { id, locale, requester }, 'unlock_request_received', {
        statusUrl: this.statusUrl(id, statusToken),
      });
    });
    return { id, status: 'submitted', statusToken };
  }

  /** The request's status, for whoever holds its status token; a wrong token is the same 404 as a wrong id. */
  async status(id: string, token: string): Promise<UnlockRequestView> {
    const row = await this.repository.get(id);
    // Hash and compare even when there is no row, so the time does not tell whether the id exists.
    const presented = sha256(token);
    const matches = constantTimeEqual(presented, row?.status_token_hash ?? presented.replace(/./g, '-'));
    if (!row || !matches) throw new AppError('not_found', 'No unlock request with this id and token');
    return publicView(row);
  }

  /** Staff: the requests, newest first. Each list is audited: it shows contacts, proofs and lock holders. */
  async list(staff: AuthContext, status: UnlockRequestStatus | undefined): Promise<StaffUnlockRequestView[]> {
    const rows = await this.repository.list(status, LIST_LIMIT);
    const views = await Promise.all(rows.map((row) => this.staffView(row)));
    await writeAudit(this.db, {
      at: this.clock.now(),
      action: 'unlock_requests.viewed',
      subject: this.staffHash(staff),
      detail: { status: status ?? 'all', requests: rows.map((row) => row.id) },
    });
    return views;
  }

  /** The requests about these locks, newest first, without contacts or proofs: staff on an account's page, and the owner's own list. */
  async listForLookups(
    lookups: string[],
    statuses?: UnlockRequestStatus[],
  ): Promise<Array<UnlockRequestView & { serialHint: string }>> {
    const rows = await this.repository.listByLookups(lookups, LIST_LIMIT, statuses);
    return rows.map((row) => ({ ...publicView(row), serialHint: row.serial_hint }));
  }

  /**
   * Staff: approves a submitted request. It waits the configured period before the lock is released;
   * the lock's owner, if they still have an account, is told at every address and may object meanwhile.
   * A serial that no lock holds has nothing to release: that is a conflict, not an approval.
   */
  async approve(staff: AuthContext, id: string, note?: string): Promise<StaffUnlockRequestView> {
    const now = this.clock.now();
    const releaseAt = now + this.options.waitSeconds * 1000;
    await this.db.transaction().execute(async (trx) => {
      const row = await this.requireRow(id, trx);
      const decidedAlready = new AppError(
        'unlock_request.already_decided',
        `This request is ${row.status}, not submitted: it was decided already`,
      );
      if (row.status !== 'submitted') throw decidedAlready;
      const holders = await this.devices.lockHolders(lookupsOf(row), trx);
      if (holders.length === 0)
        throw new AppError(
          'unlock_request.no_lock',
          'No lock is held on this device (any more): there is nothing to release. Reject the request instead.',
        );
      // The conditional update decides between two staff approving at once.
      if (
        !(await this.repository.transition(trx, id, ['submitted'], {
          status: 'waiting',
          decided_at: now,
          release_at: releaseAt,
        }))
      )
        throw decidedAlready;
      await this.jobs.enqueue(trx, { kind: RELEASE_JOB, payload: { id }, runAt: releaseAt, maxAttempts: 20 });
      await this.audit(
        trx,
        id,
        'unlock_request.approved',
        { by: this.staffHash(staff), releaseAt: iso(releaseAt) },
        { staff, note },
      );
      for (const owner of await this.activeOwners(trx, holders)) {
        await this.events.record(trx, owner.id, 'unlock_request.approved', SUPPORT_ORIGIN);
        await this.accounts.tellEveryAddress(trx, owner, {
          kind: 'unlock_request_owner_notice',
          params: {
            serialHint: row.serial_hint,
            releaseAt: new Date(releaseAt).toUTCString(),
            requestId: id,
            objectUrl: `${this.options.baseUrl}/unlock/${id}/object`,
          },
        });
      }
      await this.tellRequester(trx, this.opened(row), 'unlock_request_approved', {
        releaseAt: new Date(releaseAt).toUTCString(),
        statusUrl: this.statusUrl(id),
      });
    });
    return this.staffView((await this.repository.get(id))!);
  }

  /** Staff: rejects a request that is submitted, or stops one that is waiting; the requester is told. */
  async reject(staff: AuthContext, id: string, note?: string): Promise<StaffUnlockRequestView> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const row = await this.requireRow(id, trx);
      if (
        !(await this.repository.transition(trx, id, ['submitted', 'waiting'], {
          status: 'rejected',
          decided_at: row.decided_at ?? now,
          closed_at: now,
        }))
      ) {
        throw new AppError('unlock_request.closed', `This request is ${row.status}: it can no longer be rejected`);
      }
      await this.audit(
        trx,
        id,
        'unlock_request.rejected',
        { by: this.staffHash(staff), was: row.status },
        { staff, note },
      );
      await this.tellRequester(trx, this.opened(row), 'unlock_request_rejected', { statusUrl: this.statusUrl(id) });
    });
    return this.staffView((await this.repository.get(id))!);
  }

  /**
   * The open requests against the devices locked to an account (GET /v1/me/unlock-requests): what the
   * owner may still object to. Who asked and their proof stay with staff.
   */
  async listForOwner(accountId: string): Promise<Array<UnlockRequestView & { serialHint: string }>> {
    return this.listForLookups(await this.devices.lockLookupsOf(accountId), ['submitted', 'waiting']);
  }

  /**
   * The owner objects: the request ends and the device stays locked. Only an account session of the
   * account that holds the lock may; to anyone else the request does not exist.
   */
  async object(auth: AuthContext, id: string): Promise<UnlockRequestView> {
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const row = await this.repository.get(id, trx);
      const holders = row ? await this.devices.lockHolders(lookupsOf(row), trx) : [];
      if (!row || !holders.some((holder) => holder.accountId === auth.accountId))
        throw new AppError('not_found', 'No unlock request for a device locked to this account');
      if (
        !(await this.repository.transition(trx, id, ['submitted', 'waiting'], { status: 'objected', closed_at: now }))
      ) {
        throw new AppError('unlock_request.closed', `This request is ${row.status}: it can no longer be objected to`);
      }
      await this.events.record(trx, auth.accountId, 'unlock_request.objected', SUPPORT_ORIGIN);
      await this.audit(trx, id, 'unlock_request.objected', { was: row.status });
      await this.tellRequester(trx, this.opened(row), 'unlock_request_objected', { statusUrl: this.statusUrl(id) });
    });
    return publicView((await this.repository.get(id))!);
  }

  /**
   * The job at the end of the waiting period: releases the lock as it was at the approval, unless the
   * request was rejected or objected to meanwhile. The requester and the owner are told.
   */
  async release({ id }: JobPayloads['unlock.release']): Promise<void> {
    const now = this.clock.now();
    const unlinked = await this.db.transaction().execute(async (trx) => {
      const row = await this.repository.get(id, trx);
      if (!row || row.status !== 'waiting') return [];
      // A job runs at its time or later; should it ever run early, failing makes the worker try again later.
      if (row.release_at === null || now < row.release_at)
        throw new Error(`unlock request ${id} is not due until ${iso(row.release_at ?? now)}`);
      if (!(await this.repository.transition(trx, id, ['waiting'], { status: 'released', released_at: now })))
        return [];
      const released = await this.devices.releaseForUnlockRequest(trx, lookupsOf(row), row.decided_at!, SUPPORT_ORIGIN);
      await this.audit(trx, id, 'unlock_request.released', {
        releasedLocks: released.releasedLocks,
        devicesUnlinked: released.unlinked.length,
      });
      for (const owner of await this.activeOwners(trx, released.unlinked)) {
        await this.accounts.tellEveryAddress(trx, owner, {
          kind: 'unlock_device_released',
          params: { serialHint: row.serial_hint, at: new Date(now).toUTCString() },
        });
      }
      await this.tellRequester(trx, this.opened(row), 'unlock_request_released', { serialHint: row.serial_hint });
      return released.unlinked;
    });
    for (const { accountId, deviceId } of unlinked) this.devices.signals.emit(accountId, deviceId, { type: 'ended' });
    if (unlinked.length > 0)
      this.log.info({ unlockRequest: id, devices: unlinked.length }, 'unlock request released a device lock');
  }

  /** Deletes requests that ended more than the retention period ago; their audit records stay. */
  async sweepEnded(): Promise<number> {
    return this.repository.deleteEndedBefore(this.clock.now() - ENDED_REQUEST_RETENTION_MS);
  }

  private async requireRow(id: string, executor: Executor): Promise<UnlockRequestRow> {
    const row = await this.repository.get(id, executor);
    if (!row) throw new AppError('not_found', 'No such unlock request');
    return row;
  }

  /** The active accounts among lock holders, once each; a lock kept past deletion has no one to tell. */
  private async activeOwners(executor: Executor, holders: Array<{ accountId: string }>): Promise<AccountRow[]> {
    const owners: AccountRow[] = [];
    for (const accountId of new Set(holders.map((holder) => holder.accountId))) {
      const account = await this.accounts.get(accountId, executor);
      if (account?.status === 'active') owners.push(account);
    }
    return owners;
  }

  private opened(row: UnlockRequestRow): { id: string; locale: string; requester: Requester } {
    return {
      id: row.id,
      locale: row.locale,
      requester: JSON.parse(openText(this.sealKey, row.requester_sealed, requesterAad(row.id))) as Requester,
    };
  }

  private async tellRequester<K extends RequesterMessage>(
    executor: Executor,
    request: { id: string; locale: string; requester: Requester },
    kind: K,
    params: MessageParams[K],
  ): Promise<void> {
    await this.messages.enqueue(executor, {
      channel: 'email',
      to: request.requester.email,
      kind,
      locale: request.locale,
      params,
    });
  }

  /**
   * The portal's status page: with the token when it is known (the first message), else the page asks for
   * it. The token rides in the fragment, which browsers never send, so it stays out of logs and Referer.
   */
  private statusUrl(id: string, token?: string): string {
    return `${this.options.baseUrl}/unlock/${id}${token ? `#token=${token}` : ''}`;
  }

  private async staffView(row: UnlockRequestRow): Promise<StaffUnlockRequestView> {
    const { requester } = this.opened(row);
    const holders = await this.devices.lockHolders(lookupsOf(row));
    const owners = await this.activeOwners(this.db, holders);
    return {
      ...publicView(row),
      serialHint: row.serial_hint,
      contact: { email: requester.email },
      proof: requester.proof,
      lock: { locked: holders.length > 0, ownerActive: owners.length > 0 },
    };
  }

  private staffHash(staff: AuthContext): string {
    return hmac(this.lookupKey, 'staff', staff.accountId);
  }

  /** A staff decision also names who decided and keeps their note as the reason, so the audit log finds it by staff member. */
  private async audit(
    executor: Executor,
    id: string,
    action: string,
    detail: Record<string, unknown>,
    decision?: { staff: AuthContext; note: string | undefined },
  ): Promise<void> {
    const note = decision?.note?.trim();
    await writeAudit(executor, {
      at: this.clock.now(),
      action,
      subject: hmac(this.lookupKey, 'unlock-request', id),
      detail,
      actorId: decision?.staff.accountId,
      reason: note ? note : undefined,
    });
  }
}

type RequesterMessage =
  | 'unlock_request_received'
  | 'unlock_request_approved'
  | 'unlock_request_rejected'
  | 'unlock_request_objected'
  | 'unlock_request_released';

const requesterAad = (id: string) => `unlock-request/v1\u0000${id}`;

function lookupsOf(row: UnlockRequestRow): string[] {
  return JSON.parse(row.lookups) as string[];
}

function publicView(row: UnlockRequestRow): UnlockRequestView {
  const time = (value: number | null) => (value === null ? null : iso(value));
  return {
    id: row.id,
    status: row.status,
    createdAt: iso(row.created_at),
    decidedAt: time(row.decided_at),
    releaseAt: time(row.release_at),
    releasedAt: time(row.released_at),
  };
}
