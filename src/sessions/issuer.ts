import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { Executor, SessionRow } from '../db/schema.js';
import { newToken, sha256 } from '../crypto/tokens.js';
import type { RequestOrigin } from '../events/service.js';
import type { OriginSealer } from '../events/sealed-origin.js';
import type { SessionRepository } from './repository.js';

export type SessionKind = SessionRow['kind'];

export interface SessionLifetimes {
  idleMs: number;
  absoluteMs: number;
}

/**
 * A device token lasts as long as the device stays linked: a phone that sits in a drawer for a month must
 * still answer Find Device when it comes back. It ends when the device is removed or signs out, or after
 * this long as a last resort; it never ends for being idle.
 */
export const DEVICE_TOKEN_LIFETIME_MS = 10 * 365 * 86_400_000;

export interface IssuedSession {
  id: string;
  token: string;
  kind: SessionKind;
  expiresAt: string;
  /** Seconds until the absolute expiry, for the cookie's Max-Age. */
  maxAgeSeconds: number;
}

/** Creates sessions; shared by sign-up, sign-in and (later) device linking. */
export class SessionIssuer {
  private readonly repository: SessionRepository;
  readonly lifetimes: SessionLifetimes;
  private readonly clock: Clock;
  private readonly origins: OriginSealer;

  constructor(deps: {
    repository: SessionRepository;
    lifetimes: SessionLifetimes;
    clock: Clock;
    origins: OriginSealer;
  }) {
    this.repository = deps.repository;
    this.lifetimes = deps.lifetimes;
    this.clock = deps.clock;
    this.origins = deps.origins;
  }

  /** Creates a session in the caller's transaction; the password was just entered, so it starts fresh. */
  async create(
    executor: Executor,
    accountId: string,
    kind: SessionKind,
    origin: RequestOrigin,
  ): Promise<IssuedSession> {
    const { row, issued } = await this.prepare(accountId, kind, origin);
    await this.repository.create(executor, row);
    return issued;
  }

  /** A new session's row and what its holder is told, for a caller that writes the row itself. */
  async prepare(
    accountId: string,
    kind: SessionKind,
    origin: RequestOrigin,
  ): Promise<{ row: SessionRow; issued: IssuedSession }> {
    const now = this.clock.now();
    const token = newToken();
    const id = uuidv7();
    const absoluteMs = kind === 'device' ? DEVICE_TOKEN_LIFETIME_MS : this.lifetimes.absoluteMs;
    const expiresAt = now + absoluteMs;
    const row: SessionRow = {
      account_id: accountId,
      id,
      token_hash: sha256(token),
      kind,
      created_at: now,
      last_used_at: now,
      expires_at: expiresAt,
      reauthenticated_at: now,
      ...(await this.origins.seal(accountId, 'sessions', id, origin)),
    };
    const issued = {
      id,
      token,
      kind,
      expiresAt: iso(this.expiryOf({ kind, expires_at: expiresAt, last_used_at: now })),
      maxAgeSeconds: Math.floor(absoluteMs / 1000),
    };
    return { row, issued };
  }

  /** A session ends at its absolute expiry or after the idle lifetime without use, whichever is first. */
  expiryOf(row: Pick<SessionRow, 'kind' | 'expires_at' | 'last_used_at'>): number {
    if (row.kind === 'device') return row.expires_at;
    return Math.min(row.expires_at, row.last_used_at + this.lifetimes.idleMs);
  }
}
