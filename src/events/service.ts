import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { Executor, SecurityEventRow } from '../db/schema.js';
import { hmac } from '../crypto/tokens.js';
import type { SecurityEventRepository } from './repository.js';
import type { RequestOrigin } from '../http/origin.js';
import type { OriginSealer } from './sealed-origin.js';

export type SecurityEventType =
  | 'account.created'
  | 'sign_in'
  | 'sign_in.new_client'
  | 'sign_in.failures_burst'
  | 'session.created'
  | 'session.ended'
  | 'sessions.ended_others'
  | 'session.reauthenticated'
  | 'password.changed'
  | 'password.recovered'
  | 'password.recovery_waiting'
  | 'password.recovery_cancelled'
  | 'two_step.reset_by_recovery'
  | 'email.changed'
  | 'phone.changed'
  | 'address_change.undone'
  | 'name.changed'
  | 'device.linked'
  | 'device.removed'
  | 'device.bootloader_unlocked'
  | 'unlock_request.approved'
  | 'unlock_request.objected'
  | 'device.released_by_unlock_request'
  | 'two_step.totp_added'
  | 'two_step.totp_removed'
  | 'two_step.passkey_added'
  | 'two_step.passkey_removed'
  | 'two_step.recovery_codes_renewed'
  | 'two_step.recovery_code_used'
  | 'two_step.recovery_codes_low'
  | 'two_step.failed'
  | 'sign_in.passkey'
  | 'account.locked'
  | 'account.unlocked'
  | 'app.refresh_token_reused'
  | 'staff_access'
  | 'account.suspended'
  | 'account.restored'
  | 'sessions.ended_by_staff';

// Where a request came from is HTTP's notion (src/http/origin.ts); re-exported for the features that record it.
export type { RequestOrigin } from '../http/origin.js';

export interface SecurityEvent {
  id: string;
  type: string;
  at: string;
  ip: string;
  client: string;
  /** Why staff looked at or acted on the account (staff_access, account.suspended, account.restored). */
  reason?: string;
}

/** The account's own security history, and the clients it has been seen from. */
export class SecurityEventService {
  private readonly repository: SecurityEventRepository;
  private readonly lookupKey: Buffer;
  private readonly clock: Clock;
  private readonly origins: OriginSealer;

  constructor(deps: {
    repository: SecurityEventRepository;
    lookupKey: Buffer;
    clock: Clock;
    origins: OriginSealer;
  }) {
    this.repository = deps.repository;
    this.lookupKey = deps.lookupKey;
    this.clock = deps.clock;
    this.origins = deps.origins;
  }

  async record(
    executor: Executor,
    accountId: string,
    type: SecurityEventType,
    origin: RequestOrigin,
    detail?: { reason: string },
  ): Promise<void> {
    await this.repository.create(executor, await this.prepareRecord(accountId, type, origin, detail));
  }

  /** A new event's row, its origin sealed, for a caller that writes it with other writes (see db/atomic.ts). */
  async prepareRecord(
    accountId: string,
    type: SecurityEventType,
    origin: RequestOrigin,
    detail?: { reason: string },
  ): Promise<SecurityEventRow> {
    const id = uuidv7();
    const sealed = await this.origins.seal(accountId, 'security_events', id, origin);
    const detailSealed = detail ? await this.origins.sealDetail(accountId, id, detail) : null;
    return { account_id: accountId, id, type, at: this.clock.now(), ...sealed, detail_sealed: detailSealed };
  }

  /** The insert of an event row (from prepareRecord, or slots of a template). */
  pendingInsert(row: SecurityEventRow, executor?: Executor) {
    return this.repository.pendingCreate(row, executor);
  }

  /** Newest first. */
  async list(accountId: string, limit = 100): Promise<Array<SecurityEvent & { unreadable?: true }>> {
    const rows = await this.repository.list(accountId, limit);
    return Promise.all(
      rows.map(async (row) => {
        const { reason } = await this.origins.openDetail(accountId, row.id, row.detail_sealed);
        return {
          id: row.id,
          type: row.type,
          at: iso(row.at),
          ...(await this.origins.openOrBlank(accountId, 'security_events', row)),
          ...(reason !== undefined ? { reason } : {}),
        };
      }),
    );
  }

  /** The keyed hash that known_clients holds for a client. */
  clientLookup(client: string): string {
    return hmac(this.lookupKey, 'client', client);
  }

  /** Remembers the client; true on its first sign-in to this account. */
  async rememberClient(executor: Executor, accountId: string, client: string): Promise<boolean> {
    return this.repository.createKnownClient(executor, accountId, this.clientLookup(client), this.clock.now());
  }
}
