import type { FastifyBaseLogger } from 'fastify';
import { uuidv7 } from 'uuidv7';
import type { ClientAppService } from '../client-apps/service.js';
import { writeAudit } from '../audit/audit-log.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { maskEmail, maskPhone } from '../accounts/addresses.js';
import type { AccountService, Profile } from '../accounts/service.js';
import { iso, type Clock } from '../clock.js';
import type { CloudService, CloudSummary } from '../cloud/service.js';
import type { CreditService } from '../credits/service.js';
import type { KeyRing } from '../crypto/keyring.js';
import { hmac, newToken, sha256 } from '../crypto/tokens.js';
import type { Db } from '../db/schema.js';
import type { DeviceService } from '../devices/service.js';
import type { RequestOrigin } from '../events/service.js';
import type { AuthContext } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import type { JobService } from '../jobs/service.js';
import type { MessageService } from '../messaging/service.js';
import type { Channel } from '../messaging/transports.js';
import { PURPOSES, type VerificationService } from '../verification/service.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { WebhookService } from '../webhooks/service.js';
import { announceDeletion, type ErasureRunner } from './erasure.js';
import type { DeletionRepository } from './repository.js';
import type { Tombstones } from './tombstone-log.js';

/** The sentence a person must send, exactly, to ask for the deletion (API.md). */
export const CONFIRMATION_SENTENCE = 'Yes, I want to delete my account and all its data permanently';

export interface DeviceAtStake {
  id: string;
  name: string;
  model: string;
  kind: string;
  serialHint: string;
  locked: boolean;
  /** Whether the device's token is still valid (it is signed in). */
  signedIn: boolean;
  lastSeenAt: string;
}

export interface DeletionSummary {
  collections: CloudSummary['collections'];
  photos: { count: number; bytes: number };
  totalBytes: number;
  devices: DeviceAtStake[];
  apps: Array<{ clientId: string; name: string; scopes: string[] }>;
  creditBalance: number;
  channels: Channel[];
  graceDays: number;
  export: { method: 'POST'; path: string; description: string };
}

export interface DeletionOptions {
  graceDays: number;
  baseUrl: string;
}

/** Bound to the account, so that only its own code confirms its deletion. */
const subjectOf = (accountId: string) => `account:${accountId}`;
const DAY_MS = 86_400_000;

/**
 * Deletion: what will be lost, the request with its code, the confirmation that revokes everything and
 * records the erasure in one transaction, the optional grace period and its cancel link, and tombstones
 * applied again at start (a backup restored from before a deletion does not bring the account back).
 */
export class DeletionService {
  constructor(
    private readonly deps: {
      apps: ClientAppService;
      db: Db;
      repository: DeletionRepository;
      /** Ends every session of the account, device tokens included, when it leaves `active`. */
      sessions: SessionEnding;
      accounts: AccountService;
      devices: DeviceService;
      cloud: CloudService;
      verification: VerificationService;
      messages: MessageService;
      rateLimits: RateLimits;
      webhooks: WebhookService;
      jobs: JobService;
      keyRing: KeyRing;
      tombstones: Tombstones;
      erasure: ErasureRunner;
      credits: CreditService;
      lookupKey: Buffer;
      clock: Clock;
      log: FastifyBaseLogger;
      options: DeletionOptions;
    },
  ) {}

  /** The keyed hash that names a deleted account in its tombstone, the audit and webhooks. */
  accountHash(accountId: string): string {
    return hmac(this.deps.lookupKey, 'tombstone', accountId);
  }

  private async devicesAtStake(accountId: string): Promise<DeviceAtStake[]> {
    const views = await this.deps.devices.viewsOf(accountId);
    return views.map((view) => ({
      id: view.id,
      name: view.name,
      model: view.model,
      kind: view.kind,
      serialHint: view.serialHint,
      locked: view.locked,
      signedIn: view.tokenActive,
      lastSeenAt: view.lastSeenAt,
    }));
  }

  private channelsOf(profile: Profile): Channel[] {
    return [...(profile.email ? (['email'] as const) : []), ...(profile.phone ? (['sms'] as const) : [])];
  }

  /** Everything that the deletion would erase, counted. */
  async summary(auth: AuthContext): Promise<DeletionSummary> {
    const profile = await this.deps.accounts.getProfile(auth.accountId);
    const cloud = await this.deps.cloud.summary(auth.accountId);
    return {
      collections: cloud.collections,
      photos: cloud.collections.photos,
      totalBytes: Object.values(cloud.collections).reduce((sum, c) => sum + c.bytes, 0),
      devices: await this.devicesAtStake(auth.accountId),
      // The erasure deletes their grants and tokens with the account (oidc_records is an erased table).
      apps: (await this.deps.apps.granted(auth.accountId)).map(({ clientId, name, scopes }) => ({
        clientId,
        name,
        scopes,
      })),
      // The ledger's sum: every credit is lost with the account (the erasure deletes the ledger).
      creditBalance: await this.deps.credits.balance(auth.accountId),
      channels: this.channelsOf(profile),
      graceDays: this.deps.options.graceDays,
      export: {
        method: 'POST',
        path: '/v1/me/export',
        description: 'Download a copy of your cloud data first: a zip of every collection and the original photos',
      },
    };
  }

  /** Sends the code that confirms a deletion; a new request replaces the previous code. */
  async request(auth: AuthContext, input: { confirm: string; channel: Channel }, origin: RequestOrigin) {
    if (input.confirm !== CONFIRMATION_SENTENCE)
      throw invalidField('confirm', `must be exactly "${CONFIRMATION_SENTENCE}"`);
    const profile = await this.deps.accounts.getProfile(auth.accountId);
    const to = input.channel === 'email' ? profile.email : profile.phone;
    if (!to)
      throw new AppError(
        'channel_unavailable',
        `This account has no ${input.channel === 'email' ? 'email address' : 'phone number'}; choose the other channel`,
      );
    await this.deps.rateLimits.consumeCodeSend(to, origin.ip);
    const issued = await this.deps.db.transaction().execute(async (trx) => {
      const code = await this.deps.verification.issue(trx, {
        purpose: 'deletion',
        subject: subjectOf(auth.accountId),
        channel: input.channel,
        accountId: auth.accountId,
      });
      await this.deps.messages.enqueue(trx, {
        channel: input.channel,
        to,
        kind: 'deletion_code',
        locale: profile.locale,
        accountId: auth.accountId,
        params: { code: code.code, seconds: Math.round(PURPOSES.deletion.lifetimeMs / 1000) },
      });
      return code;
    });
    // The code lives 60 seconds: it should not wait for the worker's next poll.
    this.deps.jobs.wake();
    return {
      id: issued.id,
      channel: input.channel,
      expiresAt: iso(issued.expiresAt),
      sentTo: input.channel === 'email' ? maskEmail(to) : maskPhone(to),
      devices: await this.devicesAtStake(auth.accountId),
    };
  }

  /**
   * Confirms a deletion with its code. One transaction takes the account out of `active`, ends every
   * session and device token, spends the code, releases the device locks if asked, and records the
   * erasure job, the final message and the webhook event (transactional outbox): all of it or none.
   */
  async confirm(
    auth: AuthContext,
    requestId: string,
    input: { code: string; releaseDevices?: boolean | undefined; acknowledgeLockedDevices?: boolean | undefined },
  ) {
    const { db, repository, clock, options } = this.deps;
    const accountId = auth.accountId;
    const devices = await this.devicesAtStake(accountId);
    const release = input.releaseDevices === true;
    if (devices.length > 0 && !release && input.acknowledgeLockedDevices !== true) {
      throw new AppError(
        'devices_still_linked',
        'Devices are still linked to this account. Send releaseDevices: true to release their locks with the deletion, or acknowledgeLockedDevices: true to leave them locked (then only an unlock request can release them).',
        { devices },
      );
    }
    const profile = await this.deps.accounts.getProfile(accountId);
    const code = await this.deps.verification.check('deletion', subjectOf(accountId), input.code, requestId);
    const hash = this.accountHash(accountId);
    const now = clock.now();
    const grace = options.graceDays > 0;
    const eraseAt = now + options.graceDays * DAY_MS;
    const cancelToken = grace ? newToken() : undefined;
    const jobId = uuidv7();
    const keptLocks = await db.transaction().execute(async (trx) => {
      // Of concurrent confirmations with the right code, exactly one consumes it; the others roll back.
      await this.deps.verification.consume(trx, code);
      if (
        !(await this.deps.accounts.moveForDeletion(
          trx,
          accountId,
          ['active'],
          grace ? 'deletion_scheduled' : 'erasing',
          now,
        ))
      )
        throw new AppError('unauthenticated');
      await this.deps.sessions.endAll(trx, accountId);
      await this.deps.verification.forgetAccount(trx, accountId);
      // With a grace period the locks are released when the erasure begins: a cancelled deletion keeps them.
      if (release && !grace) await this.deps.devices.releaseLocksOf(trx, accountId);
      const kept = release ? 0 : await this.deps.devices.countLocksOf(trx, accountId);
      await repository.saveErasure(trx, {
        account_hash: hash,
        account_id: accountId,
        status: grace ? 'scheduled' : 'erasing',
        requested_at: now,
        erase_at: eraseAt,
        deleted_at: grace ? null : now,
        completed_at: null,
        steps: JSON.stringify(grace ? [] : ['begin']),
        release_devices: release ? 1 : 0,
        job_id: jobId,
        cancel_token_hash: cancelToken ? sha256(cancelToken) : null,
      });
      await this.deps.erasure.enqueue(trx, hash, jobId, eraseAt);
      if (!grace) await announceDeletion(trx, this.deps, hash, accountId, now);
      await writeAudit(trx, {
        at: now,
        action: grace ? 'account.deletion_scheduled' : 'account.deleted',
        subject: hash,
        detail: {
          releasedLocks: release,
          keptLocks: kept,
          devices: devices.length,
          ...(grace ? { eraseAt: iso(eraseAt) } : {}),
        },
      });
      // Not tied to the account: the erasure deletes the account's jobs, and this message must still go.
      if (grace) {
        const cancelUrl = `${options.baseUrl}/account/cancel-deletion#token=${cancelToken}`;
        await this.deps.accounts.tellEveryAddress(trx, profile, {
          kind: 'account_deletion_scheduled',
          accountId: null,
          params: { at: new Date(now).toUTCString(), eraseAt: new Date(eraseAt).toUTCString(), cancelUrl },
        });
      } else {
        await this.deps.accounts.tellEveryAddress(trx, profile, {
          kind: 'account_deleted',
          accountId: null,
          params: { at: new Date(now).toUTCString(), keptLocks: kept },
        });
      }
      return kept;
    });
    if (!grace) await this.afterDeletion(hash, accountId, now, release);
    for (const device of devices) this.deps.devices.signals.emit(accountId, device.id, { type: 'ended' });
    this.deps.jobs.wake();
    return {
      status: grace ? ('scheduled' as const) : ('deleted' as const),
      deletedAt: iso(now),
      ...(grace ? { eraseAt: iso(eraseAt) } : {}),
      keptLocks,
    };
  }

  /**
   * Before answering: the data key goes and the tombstone is on disk, so that a 200 means the data is
   * already unreadable and the deletion survives a restored backup. The erasure's first steps do both
   * again, so a failure here only delays them.
   */
  private async afterDeletion(hash: string, accountId: string, now: number, release: boolean): Promise<void> {
    try {
      await this.deps.keyRing.destroy(accountId);
      await this.deps.tombstones.append({ account: hash, deletedAt: iso(now), releaseDevices: release });
    } catch (error) {
      this.deps.log.error(
        { err: error },
        'could not destroy the data key or log the tombstone at once; the erasure job will',
      );
    }
  }

  /** Cancels a scheduled deletion with the single-use token of the link in its message; the account is restored. */
  async cancel(token: string): Promise<{ status: 'active' }> {
    const { db, repository, clock } = this.deps;
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const row = await repository.getErasureByCancelToken(trx, sha256(token));
      if (!row || row.status !== 'scheduled' || !row.account_id)
        throw new AppError('not_found', 'This link was already used, or the account was already erased');
      // Conditional on `scheduled`: the erasure job that starts at the same moment and this cancel cannot both win.
      if (!(await repository.deleteScheduled(trx, row.account_hash)))
        throw new AppError('not_found', 'The account was already erased');
      if (row.job_id) await this.deps.jobs.cancel(trx, row.job_id);
      await this.deps.accounts.moveForDeletion(trx, row.account_id, ['deletion_scheduled'], 'active', now);
      await writeAudit(trx, { at: now, action: 'account.deletion_cancelled', subject: row.account_hash, detail: {} });
    });
    return { status: 'active' };
  }

  /**
   * At start: erasures whose job is gone get one again, and accounts named by the tombstone log that
   * exist again (a backup restored from before their deletion) are erased again. Returns those accounts.
   */
  async reapplyTombstones(): Promise<string[]> {
    const { db, repository, clock } = this.deps;
    for (const row of await repository.listUnfinished()) {
      // A link parked after crashing its process twice is no longer pending: the erasure gets a new one.
      if (row.job_id && (await this.deps.jobs.isPending(row.job_id))) continue;
      const jobId = uuidv7();
      await db.transaction().execute(async (trx) => {
        await repository.saveErasure(trx, { ...row, job_id: jobId });
        await this.deps.erasure.enqueue(trx, row.account_hash, jobId, Math.max(row.erase_at, clock.now()));
      });
    }
    const { revived } = await this.scan();
    for (const { accountId, entry } of revived) {
      const hash = this.accountHash(accountId);
      const now = clock.now();
      const jobId = uuidv7();
      await db.transaction().execute(async (trx) => {
        await this.deps.accounts.moveForDeletion(
          trx,
          accountId,
          ['active', 'deletion_pending', 'deletion_scheduled', 'erasing'],
          'erasing',
          now,
        );
        await this.deps.sessions.endAll(trx, accountId);
        await repository.saveErasure(trx, {
          account_hash: hash,
          account_id: accountId,
          status: 'erasing',
          requested_at: Date.parse(entry.deletedAt),
          erase_at: now,
          deleted_at: Date.parse(entry.deletedAt),
          completed_at: null,
          steps: JSON.stringify(['begin']),
          release_devices: entry.releaseDevices ? 1 : 0,
          job_id: jobId,
          cancel_token_hash: null,
        });
        if (entry.releaseDevices) await this.deps.devices.releaseLocksOf(trx, accountId);
        await this.deps.erasure.enqueue(trx, hash, jobId, now);
        await writeAudit(trx, {
          at: now,
          action: 'account.erased_again',
          subject: hash,
          detail: { reason: 'the account was deleted but exists again (a restored backup)' },
        });
      });
      this.deps.log.warn(
        { accountHash: hash },
        'an account deleted before exists again (restored backup?); erasing it again',
      );
    }
    if (revived.length > 0) this.deps.jobs.wake();
    return revived.map((r) => r.accountId);
  }

  /**
   * Accounts that exist although a tombstone names them. `revived`: no erasure of them is under way (the
   * start erases them again); `erasing`: an erasure is running. Also tombstones of the database that the
   * log lacks (an append that failed), which a restored backup could then bring back.
   */
  async scan(): Promise<{
    revived: Array<{ accountId: string; entry: { deletedAt: string; releaseDevices: boolean } }>;
    erasing: string[];
    missingFromLog: string[];
  }> {
    const { repository } = this.deps;
    const logged = await this.deps.tombstones.read();
    const known = new Map<string, { deletedAt: string; releaseDevices: boolean }>(logged);
    const missingFromLog: string[] = [];
    for (const hash of await repository.listTombstoneHashes()) {
      if (!logged.has(hash)) missingFromLog.push(hash);
      if (!known.has(hash)) known.set(hash, { deletedAt: iso(this.deps.clock.now()), releaseDevices: false });
    }
    const unfinished = new Map(
      (await repository.listUnfinished()).filter((r) => r.account_id).map((r) => [r.account_id!, r]),
    );
    const revived: Array<{ accountId: string; entry: { deletedAt: string; releaseDevices: boolean } }> = [];
    const erasing: string[] = [];
    for (const accountId of unfinished.keys())
      if (unfinished.get(accountId)!.status === 'erasing') erasing.push(accountId);
    if (known.size === 0) return { revived, erasing, missingFromLog };
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.accounts.listIds(after, 1000);
      for (const { id } of page) {
        const entry = known.get(this.accountHash(id));
        if (entry && unfinished.get(id)?.status !== 'erasing') revived.push({ accountId: id, entry });
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.id;
    }
    return { revived, erasing, missingFromLog };
  }
}
