import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { hmac } from '../crypto/tokens.js';
import { AppError } from '../http/errors.js';

/** How many events each limit allows in its window. */
export const LIMITS = {
  /** Codes sent to one email or phone. */
  codesPerDestination: { points: 5, seconds: 15 * 60 },
  /** Codes asked for from one IP, whatever the destination. */
  codesPerIp: { points: 30, seconds: 15 * 60 },
  /** Failed sign-ins for one login from one IP; then that pair is refused until the window passes. */
  failuresPerLoginAndIp: { points: 10, seconds: 15 * 60 },
  /** Failed sign-ins for one login from every IP (a distributed guess). */
  failuresPerLogin: { points: 100, seconds: 60 * 60 },
  /** Failed sign-ins from one IP across logins (a spray). */
  failuresPerIp: { points: 100, seconds: 15 * 60 },
  /** Activation checks (GET /v1/activation/{serial}) from one IP: enough for a buyer, too few to sweep serials. */
  activationChecksPerIp: { points: 30, seconds: 60 },
  /** Failed sign-ins for one login (from any IP) after which sign-in needs a solved captcha. */
  captchaAfterFailuresPerLogin: { points: 5, seconds: 15 * 60 },
  /** Failed sign-ins from one IP (for any login) after which sign-in needs a solved captcha. */
  captchaAfterFailuresPerIp: { points: 5, seconds: 15 * 60 },
  /** Unlock requests from one IP: a shop with a few second-hand phones, not a sweep of serials. */
  unlockRequestsPerIp: { points: 10, seconds: 24 * 60 * 60 },
  /** Unlock requests for one serial from anywhere: each one reaches staff and, once approved, the owner. */
  unlockRequestsPerSerial: { points: 3, seconds: 24 * 60 * 60 },
  /** Passkey sign-in options from one IP: each is a stored challenge, asked without an account. */
  passkeyOptionsPerIp: { points: 60, seconds: 60 },
  /**
   * Re-authentications of one account, right or wrong: each one hands out a fresh token, so a stolen
   * session must not be able to try passwords (or second-factor codes) at the speed of a script.
   */
  reauthenticationsPerAccount: { points: 10, seconds: 15 * 60 },
  /**
   * Uses of "Lock my account" links from one IP, right or wrong: a token cannot be guessed, but each use
   * is a write; a person locks one account, perhaps after a few tries.
   */
  lockLinkUsesPerIp: { points: 30, seconds: 15 * 60 },
  recoveryCancelsPerIp: { points: 30, seconds: 15 * 60 },
} as const;

type LimitName = keyof typeof LIMITS;

/**
 * Rate limits on every code and password path, in process or shared through Redis. Keys are keyed
 * hashes, so Redis never holds an email address, a phone number or a login.
 */
export class RateLimits {
  private readonly limiters: Record<LimitName, RateLimiterAbstract>;

  private readonly enabled: boolean;
  private readonly key: Buffer;

  constructor(deps: {
    enabled: boolean;
    key: Buffer;
    redis?: Redis;
  }) {
    this.enabled = deps.enabled;
    this.key = deps.key;
    const redis = deps.redis;
    const make = (name: LimitName): RateLimiterAbstract => {
      const { points, seconds } = LIMITS[name];
      if (!redis) return new RateLimiterMemory({ points, duration: seconds, keyPrefix: name });
      return new RateLimiterRedis({
        storeClient: redis,
        points,
        duration: seconds,
        keyPrefix: `lanyard:rl:${name}`,
        // If Redis is down, keep limiting in this process rather than not at all.
        insuranceLimiter: new RateLimiterMemory({ points, duration: seconds, keyPrefix: `${name}:insurance` }),
      });
    };
    this.limiters = {
      codesPerDestination: make('codesPerDestination'),
      codesPerIp: make('codesPerIp'),
      failuresPerLoginAndIp: make('failuresPerLoginAndIp'),
      failuresPerLogin: make('failuresPerLogin'),
      failuresPerIp: make('failuresPerIp'),
      activationChecksPerIp: make('activationChecksPerIp'),
      captchaAfterFailuresPerLogin: make('captchaAfterFailuresPerLogin'),
      captchaAfterFailuresPerIp: make('captchaAfterFailuresPerIp'),
      unlockRequestsPerIp: make('unlockRequestsPerIp'),
      unlockRequestsPerSerial: make('unlockRequestsPerSerial'),
      passkeyOptionsPerIp: make('passkeyOptionsPerIp'),
      reauthenticationsPerAccount: make('reauthenticationsPerAccount'),
      lockLinkUsesPerIp: make('lockLinkUsesPerIp'),
      recoveryCancelsPerIp: make('recoveryCancelsPerIp'),
    };
  }

  private hashed(...parts: string[]): string {
    return hmac(this.key, ...parts);
  }

  /** Counts one code sent to a destination from an IP; refuses past the limits. */
  async consumeCodeSend(destination: string, ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('codesPerIp', this.hashed('ip', ip));
    await this.consume('codesPerDestination', this.hashed('destination', destination));
  }

  /**
   * Counts one code sent to a destination, without refusing: false once the destination had its share.
   * For callers whose answer must not depend on whether the address belongs to an account.
   */
  async tryCodeSendTo(destination: string): Promise<boolean> {
    if (!this.enabled) return true;
    try {
      await this.limiters.codesPerDestination.consume(this.hashed('destination', destination));
      return true;
    } catch (result) {
      if (result instanceof RateLimiterRes) return false;
      throw result;
    }
  }

  /** Counts one activation check from an IP; refuses past the limit. */
  async consumeActivationCheck(ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('activationChecksPerIp', this.hashed('activation-ip', ip));
  }

  /** Counts one unlock request for a device (its serial's lookup) from an IP; refuses past the limits. */
  async consumeUnlockRequest(serialLookup: string, ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('unlockRequestsPerIp', this.hashed('unlock-ip', ip));
    await this.consume('unlockRequestsPerSerial', this.hashed('unlock-serial', serialLookup));
  }

  /** Counts one request for passkey sign-in options from an IP; refuses past the limit. */
  async consumePasskeyOptions(ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('passkeyOptionsPerIp', this.hashed('passkey-options-ip', ip));
  }

  /** Counts one use of a "Lock my account" link from an IP; refuses past the limit. */
  async consumeLockLinkUse(ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('lockLinkUsesPerIp', this.hashed('lock-link-ip', ip));
  }

  /** Counts one use of a recovery's cancel link from an IP (tokens are unguessable; this stops floods). */
  async consumeRecoveryCancel(ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('recoveryCancelsPerIp', this.hashed('recovery-cancel-ip', ip));
  }

  /** Counts one re-authentication of an account; refuses past the limit. */
  async consumeReauthentication(accountId: string): Promise<void> {
    if (!this.enabled) return;
    await this.consume('reauthenticationsPerAccount', this.hashed('reauth', accountId));
  }

  /** Refuses a sign-in attempt (or re-authentication) for a login from an IP that failed too often. */
  async checkPasswordAttempt(login: string, ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.refuseIfSpent('failuresPerLoginAndIp', this.hashed('login-ip', login, ip));
    await this.refuseIfSpent('failuresPerLogin', this.hashed('login', login));
    await this.refuseIfSpent('failuresPerIp', this.hashed('ip', ip));
  }

  /** Records a failed password; returns true when this failure reached the per-login-and-IP limit (a burst). */
  async recordPasswordFailure(login: string, ip: string): Promise<boolean> {
    if (!this.enabled) return false;
    const [pair] = await Promise.all([
      this.count('failuresPerLoginAndIp', this.hashed('login-ip', login, ip)),
      this.count('failuresPerLogin', this.hashed('login', login)),
      this.count('failuresPerIp', this.hashed('ip', ip)),
    ]);
    return pair === LIMITS.failuresPerLoginAndIp.points;
  }

  /** Whether sign-in for this login, or from this IP, failed often enough lately to need a solved captcha. */
  async signInNeedsCaptcha(login: string, ip: string): Promise<boolean> {
    if (!this.enabled) return false;
    const [byLogin, byIp] = await Promise.all([
      this.limiters.captchaAfterFailuresPerLogin.get(this.hashed('login', login)),
      this.limiters.captchaAfterFailuresPerIp.get(this.hashed('ip', ip)),
    ]);
    return (
      (byLogin?.consumedPoints ?? 0) >= LIMITS.captchaAfterFailuresPerLogin.points ||
      (byIp?.consumedPoints ?? 0) >= LIMITS.captchaAfterFailuresPerIp.points
    );
  }

  /**
   * Counts a failed sign-in towards the captcha threshold. Only sign-in counts: re-authentication and
   * password changes come from a session, where a captcha would not tell a person from a script.
   * A later success does not clear it, since it says nothing about who made the failures.
   */
  async recordSignInFailure(login: string, ip: string): Promise<void> {
    if (!this.enabled) return;
    await Promise.all([
      this.count('captchaAfterFailuresPerLogin', this.hashed('login', login)),
      this.count('captchaAfterFailuresPerIp', this.hashed('ip', ip)),
    ]);
  }

  /** A correct password clears the failures of that login from that IP. */
  async recordPasswordSuccess(login: string, ip: string): Promise<void> {
    if (!this.enabled) return;
    await this.limiters.failuresPerLoginAndIp.delete(this.hashed('login-ip', login, ip));
  }

  private async consume(name: LimitName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (result) {
      if (result instanceof RateLimiterRes) throw rateLimited(result.msBeforeNext);
      throw result;
    }
  }

  private async count(name: LimitName, key: string): Promise<number> {
    try {
      return (await this.limiters[name].consume(key)).consumedPoints;
    } catch (result) {
      if (result instanceof RateLimiterRes) return result.consumedPoints;
      throw result;
    }
  }

  private async refuseIfSpent(name: LimitName, key: string): Promise<void> {
    const state = await this.limiters[name].get(key);
    if (state && state.consumedPoints >= LIMITS[name].points) throw rateLimited(state.msBeforeNext);
  }
}

function rateLimited(msBeforeNext: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('rate_limited', `Too many attempts; try again in ${retryAfterSeconds} seconds`, {
    retryAfterSeconds,
  });
}
