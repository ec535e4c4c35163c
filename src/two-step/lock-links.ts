import type { Clock } from '../clock.js';
import { randomBytes } from 'node:crypto';
import { hmac } from '../crypto/tokens.js';
import type { Executor } from '../db/schema.js';
import type { TwoStepRepository } from './repository.js';

/** How long a "Lock my account" link works: as long as the undo link of an address change. */
export const LOCK_LINK_DAYS = 7;
const LOCK_LINK_MS = LOCK_LINK_DAYS * 24 * 60 * 60 * 1000;
/** Where the link points: a portal page that asks before it acts (mail scanners open links). */
export const LOCK_PAGE_PATH = '/account/lock';

/**
 * The "Lock my account" links of the new sign-in and address-changed notices. The token is random and
 * the table keeps only its keyed hash; each link works once and for 7 days.
 */
export class AccountLockLinks {
  constructor(private readonly deps: { repository: TwoStepRepository; key: Buffer; clock: Clock; baseUrl: string }) {}

  private hashOf(token: string): string {
    return hmac(this.deps.key, 'account-lock-link', token);
  }

  /** Makes a link for one notice, in the transaction that enqueues it, and returns its URL. */
  async create(trx: Executor, accountId: string): Promise<string> {
    // Hex, not base64url: in a notice's text a run of six digits between dashes would read as a code
    // (API.md: a code is the only 6-digit number of its message), and hex never puts one between boundaries.
    const token = randomBytes(32).toString('hex');
    const now = this.deps.clock.now();
    await this.deps.repository.createLockLink(trx, {
      tokenHash: this.hashOf(token),
      accountId,
      now,
      expiresAt: now + LOCK_LINK_MS,
    });
    return `${this.deps.baseUrl.replace(/\/$/, '')}${LOCK_PAGE_PATH}?token=${token}`;
  }

  /** Spends a token: the account it locks, or undefined when it is unknown, used or past its 7 days. */
  consume(trx: Executor, token: string): Promise<string | undefined> {
    return this.deps.repository.consumeLockLink(trx, this.hashOf(token), this.deps.clock.now());
  }
}
