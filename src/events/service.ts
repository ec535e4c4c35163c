import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { Executor } from '../db/schema.js';
import { hmac } from '../crypto/tokens.js';
import type { SecurityEventRepository } from './repository.js';

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
  | 'email.changed'
  | 'phone.changed'
  | 'name.changed'
  | 'device.linked'
  | 'device.removed';

export interface RequestOrigin {
  ip: string;
  client: string;
}

export interface SecurityEvent {
  id: string;
  type: string;
  at: string;
  ip: string;
  client: string;
}

/** The account's own security history, and the clients it has been seen from. */
export class SecurityEventService {
  constructor(
    private readonly repository: SecurityEventRepository,
    private readonly lookupKey: Buffer,
    private readonly clock: Clock,
  ) {}

  async record(executor: Executor, accountId: string, type: SecurityEventType, origin: RequestOrigin): Promise<void> {
    await this.pendingRecord(accountId, type, origin, executor).execute();
  }

  /** The event's insert, to be run with other writes (see db/atomic.ts). */
  pendingRecord(accountId: string, type: SecurityEventType, origin: RequestOrigin, executor?: Executor) {
    return this.repository.pendingCreate({ account_id: accountId, id: uuidv7(), type, at: this.clock.now(), ip: origin.ip, client: origin.client }, executor);
  }

  /** Newest first. */
  async list(accountId: string, limit = 100): Promise<SecurityEvent[]> {
    const rows = await this.repository.list(accountId, limit);
    return rows.map((row) => ({ id: row.id, type: row.type, at: iso(row.at), ip: row.ip, client: row.client }));
  }

  /** Whether the account has signed in from this client before. */
  async isKnownClient(accountId: string, client: string): Promise<boolean> {
    return this.repository.hasKnownClient(accountId, this.clientLookup(client));
  }

  private clientLookup(client: string): string {
    return hmac(this.lookupKey, 'client', client);
  }

  /** Remembers the client; true on its first sign-in to this account. */
  async rememberClient(executor: Executor, accountId: string, client: string): Promise<boolean> {
    return this.repository.createKnownClient(executor, accountId, this.clientLookup(client), this.clock.now());
  }
}
