import type { Executor } from '../db/schema.js';
import type { SessionRepository } from './repository.js';

/** What taking an account offline needs of the apps feature, which owns the OpenID provider's records. */
export interface AppTokenEnder {
  /** Ends every token apps hold for the account: grants, codes, access and refresh tokens, provider sessions. */
  deleteTokensOf(executor: Executor, accountId: string): Promise<void>;
}

/**
 * How other features end sessions, in the transaction of the rule that ends them: the sessions feature's
 * public face to them, so that none of them queries its table. Every end but a deletion's is told to the
 * listeners of SessionRepository.onEnd (the apps end their provider sessions with it).
 */
export class SessionEnding {
  constructor(
    private readonly repository: SessionRepository,
    private readonly appTokens: AppTokenEnder,
  ) {}

  /**
   * Takes the account offline: every web and API session and every app token ends; device tokens stay,
   * so that the devices stay locked to the account (a lock by its owner, a suspension, staff ending its
   * sessions). Returns how many sessions ended.
   */
  async takeOffline(trx: Executor, accountId: string): Promise<number> {
    const ended = await this.repository.deleteOthers(trx, accountId, null, ['web', 'api']);
    await this.appTokens.deleteTokensOf(trx, accountId);
    return ended;
  }

  /**
   * Ends the web and API sessions of the account but `keep` (a new password: a change, a recovery, an
   * undone address change); device tokens and apps stay. Returns how many ended.
   */
  endSignIns(trx: Executor, accountId: string, keep: string | null = null): Promise<number> {
    return this.repository.deleteOthers(trx, accountId, keep, ['web', 'api']);
  }

  /**
   * Ends every session of the account, device tokens included (a deletion). No listener is told: the
   * erasure takes the apps' records with the account.
   */
  endAll(trx: Executor, accountId: string): Promise<void> {
    return this.repository.deleteAll(trx, accountId);
  }

  /** Ends one session: a device's token, when the device is unlinked or erased. */
  endOne(trx: Executor, accountId: string, sessionId: string): Promise<boolean> {
    return this.repository.delete(trx, accountId, sessionId);
  }
}
