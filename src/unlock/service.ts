import type { FastifyBaseLogger } from 'fastify';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { uuidv7 } from 'uuidv7';
import { writeAudit } from '../audit/audit-log.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { normalizeEmail } from '../accounts/addresses.js';
import type { BlobStore } from '../blobs/store.js';
import type { AccountService } from '../accounts/service.js';
import type { CaptchaService } from '../captcha/service.js';
import { iso, type Clock } from '../clock.js';
import { open, openText, seal, sealText } from '../crypto/sealing.js';
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
import { MAX_PROOFS, sniffProof, type ProofFileType } from './proofs.js';
import type { UnlockRequestProofRow, UnlockRequestRepository } from './repository.js';

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

/** A file the requester uploaded as proof: what its bytes are, not what the client called it. */
export interface ProofFileView {
  id: string;
  contentType: ProofFileType;
  size: number;
  createdAt: string;
}

/** What staff see to decide: the proof, the contact, and whether the device is locked now. */
export interface StaffUnlockRequestView extends UnlockRequestView {
  serialHint: string;
  contact: { email: string };
  proof: { kind: ProofKind; text: string | null; files: ProofFileView[] };
  /** Whether a lock is held on the serial (or IMEI) now, and whether its holder is an active account that will be told. */
  lock: { locked: boolean; ownerActive: boolean; lostMode: boolean };
  /** Four eyes: the first of two approvals a device in lost mode needs, while the second is awaited. */
  firstApproval: { staffId: string; staffEmail: string | null; at: string } | null;
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
  private readonly blobs: BlobStore;
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
    blobs: BlobStore;
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
    this.blobs = deps.blobs;
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
        first_approved_by: null,
        first_approved_at: null,
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
    return publicView(await this.withToken(id, token));
  }

  /**
   * The requester adds a proof file (a receipt's photo, an invoice's PDF) while the request waits for
   * staff. What the file is comes from its bytes; it is sealed under the unlock-request key, bound to the
   * request and the file, and kept in the blob store under the request, which it is deleted with.
   */
  async addProof(id: string, token: string, bytes: Buffer): Promise<{ files: ProofFileView[] }> {
    const row = await this.withToken(id, token);
    if (row.status !== 'submitted')
      throw new AppError(
        'unlock_request.already_decided',
        `This request is ${row.status}: staff decided it already, so it takes no more proof`,
      );
    const contentType = sniffProof(bytes.subarray(0, 64));
    if (!contentType)
      throw new AppError(
        'unlock_request.unsupported_proof_type',
        'A proof file must be a JPEG, PNG or WebP image or a PDF (the Content-Type header is not trusted)',
      );
    const tooMany = () =>
      new AppError('unlock_request.too_many_proofs', `A request takes at most ${MAX_PROOFS} proof files`);
    if ((await this.repository.proofsOf(id)).length >= MAX_PROOFS) throw tooMany();
    const proofId = uuidv7();
    const owner = proofOwner(id);
    // The blob first: a row never names bytes that are not there. Should the row fail, the blob goes.
    await this.blobs.put(owner, proofId, Readable.from([seal(this.sealKey, bytes, proofAad(id, proofId))]));
    try {
      await this.db.transaction().execute(async (trx) => {
        await this.repository.addProof(trx, {
          request_id: id,
          id: proofId,
          content_type: contentType,
          size: bytes.length,
          created_at: this.clock.now(),
        });
        // Counted again with the new row in: of two uploads at once, the one past the limit is undone.
        if ((await this.repository.proofsOf(id, trx)).length > MAX_PROOFS) throw tooMany();
        await this.audit(trx, id, 'unlock_request.proof_added', { type: contentType, bytes: bytes.length });
      });
    } catch (error) {
      await this.blobs.delete(owner, proofId);
      throw error;
    }
    return { files: (await this.repository.proofsOf(id)).map(proofView) };
  }

  /** Staff: one proof file's bytes, opened, with what they are. Audited: the file is personal data. */
  async openProof(
    staff: AuthContext,
    id: string,
    proofId: string,
  ): Promise<{ bytes: Buffer; contentType: ProofFileType }> {
    const proof = await this.repository.getProof(id, proofId);
    const stream = proof ? await this.blobs.get(proofOwner(id), proof.id) : undefined;
    if (!proof || !stream) throw new AppError('not_found', 'No such proof file');
    const bytes = open(this.sealKey, await readAll(stream), proofAad(id, proof.id));
    await writeAudit(this.db, {
      at: this.clock.now(),
      action: 'unlock_request.proof_viewed',
      subject: hmac(this.lookupKey, 'unlock-request', id),
      detail: { by: this.staffHash(staff), proof: proof.id },
      actorId: staff.accountId,
    });
    return { bytes, contentType: proof.content_type as ProofFileType };
  }

  /** Staff: one request, as the list shows it. Audited like the list. */
  async getForStaff(staff: AuthContext, id: string): Promise<StaffUnlockRequestView> {
    const view = await this.staffView(await this.requireRow(id, this.db));
    await writeAudit(this.db, {
      at: this.clock.now(),
      action: 'unlock_requests.viewed',
      subject: this.staffHash(staff),
      detail: { requests: [id] },
    });
    return view;
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
      // Four eyes: a device its owner put in lost mode is released only when two different staff members
      // approve. The first approval is recorded and waits; the second, by someone else, goes on below.
      if (await this.inLostMode(row, trx)) {
        if (row.first_approved_by === null) {
          if (!(await this.repository.recordFirstApproval(trx, id, staff.accountId, now)))
            throw new AppError(
              'unlock_request.already_decided',
              'Another staff member approved or decided this request at the same moment: reload it',
            );
          await this.audit(trx, id, 'unlock_request.first_approval', { by: this.staffHash(staff) }, { staff, note });
          return;
        }
        if (row.first_approved_by === staff.accountId)
          throw new AppError(
            'unlock_request.same_approver',
            'This device is in lost mode: a different staff member must give the second approval',
          );
      }
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
        {
          by: this.staffHash(staff),
          releaseAt: iso(releaseAt),
          ...(row.first_approved_by ? { firstBy: hmac(this.lookupKey, 'staff', row.first_approved_by) } : {}),
        },
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

  /**
   * Deletes requests that ended more than the retention period ago, their proof files first (a crash
   * between the two leaves the rows, and the next sweep deletes again); their audit records stay.
   */
  async sweepEnded(): Promise<number> {
    const ids = await this.repository.endedBefore(this.clock.now() - ENDED_REQUEST_RETENTION_MS);
    for (const id of ids) await this.blobs.deleteAllForAccount(proofOwner(id));
    return this.repository.deleteRequests(ids);
  }

  /** The request, for whoever holds its status token; a wrong token is the same 404 as a wrong id. */
  private async withToken(id: string, token: string): Promise<UnlockRequestRow> {
    const row = await this.repository.get(id);
    // Hash and compare even when there is no row, so the time does not tell whether the id exists.
    const presented = sha256(token);
    const matches = constantTimeEqual(presented, row?.status_token_hash ?? presented.replace(/./g, '-'));
    if (!row || !matches) throw new AppError('not_found', 'No unlock request with this id and token');
    return row;
  }

  private async inLostMode(row: UnlockRequestRow, executor: Executor): Promise<boolean> {
    return this.devices.lockedDeviceInLostMode(lookupsOf(row), this.clock.now(), executor);
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
    const files = (await this.repository.proofsOf(row.id)).map(proofView);
    const firstBy = row.first_approved_by;
    const firstApproval =
      firstBy !== null && row.status === 'submitted'
        ? {
            staffId: firstBy,
            staffEmail: (await this.accounts.get(firstBy))?.email ?? null,
            at: iso(row.first_approved_at ?? row.created_at),
          }
        : null;
    return {
      ...publicView(row),
      serialHint: row.serial_hint,
      contact: { email: requester.email },
      proof: { ...requester.proof, files },
      lock: {
        locked: holders.length > 0,
        ownerActive: owners.length > 0,
        lostMode: holders.length > 0 && (await this.inLostMode(row, this.db)),
      },
      firstApproval,
    };
  }

  /**
   * The erasure of a staff account (its `audit` step): the raw staff id leaves the requests it approved
   * first. A first approval still awaiting its second is withdrawn, since four eyes means two members of
   * the current staff; the audit keeps that it was given (under the keyed staff hash) and that it was
   * withdrawn. On requests decided since, the time of the first approval stays without its name.
   */
  async forgetStaff(executor: Executor, staffId: string): Promise<void> {
    for (const id of await this.repository.forgetApprover(executor, staffId))
      await this.audit(executor, id, 'unlock_request.first_approval_withdrawn', {
        by: hmac(this.lookupKey, 'staff', staffId),
        reason: 'the staff member who approved first was erased',
      });
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
const proofAad = (id: string, proofId: string) => `unlock-request-proof/v1\u0000${id}\u0000${proofId}`;
/** The blob store's prefix for a request's proof files: never an account id (those are bare UUIDs). */
const proofOwner = (id: string) => `unlock-request-${id}`;

function proofView(row: UnlockRequestProofRow): ProofFileView {
  return {
    id: row.id,
    contentType: row.content_type as ProofFileType,
    size: Number(row.size),
    createdAt: iso(row.created_at),
  };
}

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
