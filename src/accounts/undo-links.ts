import type { Clock } from '../clock.js';
import { open, seal } from '../crypto/sealing.js';
import { AppError } from '../http/errors.js';

/** How long the old address may undo a change (issue: what a person whose account was just taken needs). */
export const UNDO_DAYS = 7;
const UNDO_MS = UNDO_DAYS * 24 * 60 * 60 * 1000;
/** Where the link points: a portal page that asks before it acts (mail scanners open links). */
export const UNDO_PAGE_PATH = '/account/undo-change';

/** What an undo link carries: the change to take back, sealed so that neither address shows in a URL. */
export interface AddressChange {
  accountId: string;
  field: 'email' | 'phone';
  oldAddress: string;
  newAddress: string;
}

/**
 * Undo links of email and phone changes. Stateless: the link seals the change and its expiry; it works
 * only while the account still has the new address, so once used (or overtaken by a later change) it
 * does nothing more, without a table of spent links.
 */
export class AddressChangeUndoLinks {
  constructor(private readonly deps: { key: Buffer; clock: Clock; baseUrl: string }) {}

  /** The link sent to the old address. */
  linkFor(change: AddressChange): string {
    const payload = JSON.stringify({ ...change, expiresAt: this.deps.clock.now() + UNDO_MS });
    const token = seal(this.deps.key, Buffer.from(payload), 'address-change-undo').toString('base64url');
    return `${this.deps.baseUrl.replace(/\/$/, '')}${UNDO_PAGE_PATH}?token=${token}`;
  }

  /** The change a token names, or undo_link_invalid (altered, made with another key, or past its 7 days). */
  open(token: string): AddressChange {
    let change: AddressChange & { expiresAt: number };
    try {
      change = JSON.parse(
        open(this.deps.key, Buffer.from(token, 'base64url'), 'address-change-undo').toString('utf8'),
      ) as AddressChange & { expiresAt: number };
    } catch {
      throw new AppError('undo_link_invalid');
    }
    if (!(change.expiresAt > this.deps.clock.now())) throw new AppError('undo_link_invalid');
    return {
      accountId: change.accountId,
      field: change.field,
      oldAddress: change.oldAddress,
      newAddress: change.newAddress,
    };
  }
}
