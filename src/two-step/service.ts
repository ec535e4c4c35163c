import { hkdfSync, randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotp } from 'otplib';
import QRCode from 'qrcode';
import { uuidv7 } from 'uuidv7';
import type { RateLimits } from '../abuse/rate-limits.js';
import type { AccountService } from '../accounts/service.js';
import { iso, type Clock } from '../clock.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';
import { hmac, newToken, sha256 } from '../crypto/tokens.js';
import type { AccountRow, Db, Executor } from '../db/schema.js';
import type { RequestOrigin, SecurityEventService, SecurityEventType } from '../events/service.js';
import { AppError, invalidField } from '../http/errors.js';
import type { MessageService } from '../messaging/service.js';
import type { TwoStepChange } from '../messaging/templates.js';
import type { SessionEnding } from '../sessions/ending.js';
import { writeAudit } from '../audit/audit-log.js';
import type { AccountLockLinks } from './lock-links.js';
import { challengeOf, type PasskeyCeremonies } from './passkeys.js';
import type { ChallengeRow, PasskeyRow, TwoStepRepository } from './repository.js';

// Other features reach the links through this module (they may import a feature's service, not its parts).
export { LOCK_LINK_DAYS, type AccountLockLinks } from './lock-links.js';

export type SecondFactorMethod = 'totp' | 'passkey' | 'recovery_code';

/** A second factor as a client sends it: a code (TOTP or recovery code) or a WebAuthn assertion. */
export interface SecondFactorInput {
  method: SecondFactorMethod;
  code?: string | undefined;
  response?: unknown;
}

export type SessionKindOfChallenge = 'web' | 'api' | 'device';

/** A sign-in that waits for its second factor: what POST /v1/sessions answers instead of a token. */
export interface SecondFactorChallenge {
  challengeId: string;
  methods: SecondFactorMethod[];
  expiresAt: string;
  /** WebAuthn request options for the account's passkeys, when it has any. */
  passkeyOptions?: unknown;
}

const RECOVERY_CODE_COUNT = 10;
/** When this many unused recovery codes or fewer remain, the person is told and offered a new set. */
export const RECOVERY_CODES_LOW = 2;
/** A sign-in challenge lives this long: enough to open an authenticator app, too short to be kept. */
const CHALLENGE_LIFETIME_MS = 5 * 60_000;
/** Wrong answers one sign-in challenge takes before it is spent; the account-wide limit is in RateLimits. */
export const CHALLENGE_MAX_ATTEMPTS = 5;
// 30 s either side of now: one time step of clock drift between the phone and the server.
const TOTP_TOLERANCE_S = 30;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** The HMAC key of recovery codes, derived from the master key for this purpose alone. */
export function recoveryCodeKey(master: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'lanyard/recovery-code/v1', 32));
}

// Binds a sealed TOTP secret or passkey name to its account and column: a copy on another row does not open.
const sealContext = (accountId: string, what: string) => JSON.stringify(['lanyard/two-step/v1', accountId, what]);

/** What the two-step feature needs; one named object, so that no two keys can be swapped unseen. */
export interface TwoStepDeps {
  db: Db;
  repository: TwoStepRepository;
  accounts: AccountService;
  sessionEnding: SessionEnding;
  events: SecurityEventService;
  messages: MessageService;
  rateLimits: RateLimits;
  keyRing: KeyRing;
  passkeys: PasskeyCeremonies;
  recoveryCodeKey: Buffer;
  lockLinks: AccountLockLinks;
  /** Keys the audit subject of an account (the same keyed hash as deletion's tombstones). */
  lookupKey: Buffer;
  clock: Clock;
}

/**
 * Two-step verification: the authenticator app (TOTP, RFC 6238), passkeys (WebAuthn), recovery codes,
 * the second step of sign-in, re-authentication and password recovery, and "Lock my account".
 */
export class TwoStepService {
  constructor(private readonly deps: TwoStepDeps) {}

  private get repository() {
    return this.deps.repository;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private async account(accountId: string, executor?: Executor): Promise<AccountRow> {
    const account = await this.deps.accounts.get(accountId, executor);
    if (!account) throw new AppError('unauthenticated');
    return account;
  }

  /** GET /v1/me/security. */
  async security(accountId: string) {
    const account = await this.account(accountId);
    const [totp, passkeys, remaining] = await Promise.all([
      this.repository.getTotp(accountId),
      this.repository.listPasskeys(accountId),
      this.repository.countRecoveryCodes(accountId),
    ]);
    const key = passkeys.length > 0 ? await this.deps.keyRing.getOrCreate(accountId) : undefined;
    const enabled = totp?.confirmed_at != null || passkeys.length > 0;
    return {
      password: { changedAt: iso(Number(account.password_changed_at)) },
      totp: { enabled: totp?.confirmed_at != null },
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: openText(key!, p.name_sealed, sealContext(accountId, `passkey-name:${p.id}`)),
        createdAt: iso(Number(p.created_at)),
        lastUsedAt: p.last_used_at == null ? null : iso(Number(p.last_used_at)),
      })),
      recoveryCodes: { remaining, low: enabled && remaining <= RECOVERY_CODES_LOW },
      secondFactorRequired: enabled,
    };
  }

  /** Which second factors the account has; none means sign-in needs only the password. */
  async gate(
    accountId: string,
  ): Promise<{ locked: boolean; suspended: boolean; methods: SecondFactorMethod[]; passkeys: number }> {
    const gate = await this.repository.gateOf(accountId);
    const methods: SecondFactorMethod[] = [];
    if (gate.totp) methods.push('totp');
    if (gate.passkeys > 0) methods.push('passkey');
    if (methods.length > 0 && gate.recoveryCodes > 0) methods.push('recovery_code');
    return { locked: gate.locked, suspended: gate.suspended, methods, passkeys: gate.passkeys };
  }

  /**
   * Refuses a sign-in of an account its owner locked (POST /v1/me/lock; only recovery opens it) or staff
   * suspended (only staff restore it).
   */
  async refuseIfLocked(accountId: string, executor?: Executor): Promise<void> {
    if (await this.repository.isSuspended(accountId, executor)) throw new AppError('account.suspended');
    if (await this.repository.isLocked(accountId, executor)) throw new AppError('account.locked');
  }

  // ---- Authenticator app (TOTP) ----

  /** Starts an enrolment: a new secret, its otpauth URI and QR code. Nothing is enabled until a code confirms it. */
  async startTotp(accountId: string) {
    const account = await this.account(accountId);
    const existing = await this.repository.getTotp(accountId);
    if (existing?.confirmed_at != null) throw new AppError('two_step.already_enabled');
    const secret = generateSecret();
    const key = await this.deps.keyRing.getOrCreate(accountId);
    await this.repository.putPendingTotp(this.deps.db, {
      account_id: accountId,
      secret_sealed: sealText(key, secret, sealContext(accountId, 'totp-secret')),
      confirmed_at: null,
      last_step: null,
      created_at: this.now(),
    });
    const otpauthUri = generateURI({ issuer: 'Lanyard', label: account.email ?? account.phone ?? account.id, secret });
    const qrSvg = await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri, qrSvg };
  }

  /** Confirms the enrolment with a first code; the first factor of an account also gets recovery codes. */
  async confirmTotp(accountId: string, code: string, origin: RequestOrigin): Promise<{ recoveryCodes?: string[] }> {
    const pending = await this.repository.getTotp(accountId);
    if (!pending) throw new AppError('two_step.not_pending');
    if (pending.confirmed_at != null) throw new AppError('two_step.already_enabled');
    await this.throttle(accountId, origin);
    const step = await this.totpStep(accountId, pending.secret_sealed, pending.last_step, code);
    if (step === undefined) return this.failed(accountId, origin, 'two_step.code_invalid');
    return this.deps.db.transaction().execute(async (trx) => {
      const first = (await this.gateIn(trx, accountId)).methods.length === 0;
      if (!(await this.repository.claimTotpStep(trx, accountId, step, this.now())))
        throw new AppError('two_step.code_invalid');
      const codes = first ? await this.issueRecoveryCodes(trx, accountId) : undefined;
      await this.changed(trx, accountId, 'two_step.totp_added', 'totp_added', origin);
      return codes ? { recoveryCodes: codes } : {};
    });
  }

  async removeTotp(accountId: string, origin: RequestOrigin): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.repository.deleteTotp(trx, accountId)))
        throw new AppError('not_found', 'No authenticator app is enabled');
      await this.dropCodesIfNoFactorLeft(trx, accountId);
      await this.changed(trx, accountId, 'two_step.totp_removed', 'totp_removed', origin);
    });
  }

  /** The time step a code matches, after the last one used (replay), or undefined. */
  private async totpStep(
    accountId: string,
    sealedSecret: string,
    lastStep: number | null,
    code: string,
  ): Promise<number | undefined> {
    if (!/^\d{6}$/.test(code)) return undefined;
    const key = await this.deps.keyRing.getOrCreate(accountId);
    const secret = openText(key, sealedSecret, sealContext(accountId, 'totp-secret'));
    const epoch = Math.floor(this.now() / 1000);
    const result = await verifyTotp({
      secret,
      token: code,
      epoch,
      epochTolerance: TOTP_TOLERANCE_S,
      ...(lastStep != null ? { afterTimeStep: Number(lastStep) } : {}),
    });
    if (!result.valid) return undefined;
    // The functional API types HOTP and TOTP results together; a TOTP result carries its time step.
    return 'timeStep' in result && typeof result.timeStep === 'number'
      ? result.timeStep
      : Math.floor(epoch / 30) + result.delta;
  }

  // ---- Passkeys ----

  /** Creation options for a new passkey; the challenge is remembered for 5 minutes, for this account only. */
  async passkeyCreationOptions(accountId: string) {
    const account = await this.account(accountId);
    const options = await this.deps.passkeys.creationOptions({
      accountId,
      userName: account.email ?? account.phone ?? account.id,
      existing: await this.repository.listPasskeys(accountId),
    });
    await this.rememberWebAuthnChallenge(accountId, 'passkey_register', options.challenge);
    return options as unknown as Record<string, unknown>;
  }

  /** Registers a passkey from the authenticator's answer; the first factor of an account also gets recovery codes. */
  async addPasskey(accountId: string, input: { name: string; response: unknown }, origin: RequestOrigin) {
    const challenge = await this.openWebAuthnChallenge(accountId, challengeOf(input.response as never), [
      'passkey_register',
    ]);
    const registered = await this.deps.passkeys.register(input.response, challenge.webauthn_challenge!);
    const key = await this.deps.keyRing.getOrCreate(accountId);
    const id = uuidv7();
    const now = this.now();
    return this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.repository.consumeChallenge(trx, challenge.id, now, 1)))
        throw new AppError('two_step.challenge_invalid');
      if (await this.repository.getPasskeyByCredential(registered.credentialId, trx))
        throw new AppError('conflict', 'This passkey is already registered');
      const first = (await this.gateIn(trx, accountId)).methods.length === 0;
      await this.repository.createPasskey(trx, {
        account_id: accountId,
        id,
        credential_id: registered.credentialId,
        public_key: registered.publicKey,
        counter: registered.counter,
        transports: JSON.stringify(registered.transports),
        name_sealed: sealText(key, input.name, sealContext(accountId, `passkey-name:${id}`)),
        created_at: now,
        last_used_at: null,
      });
      const codes = first ? await this.issueRecoveryCodes(trx, accountId) : undefined;
      await this.changed(trx, accountId, 'two_step.passkey_added', 'passkey_added', origin);
      return {
        passkey: { id, name: input.name, createdAt: iso(now), lastUsedAt: null },
        ...(codes ? { recoveryCodes: codes } : {}),
      };
    });
  }

  async removePasskey(accountId: string, id: string, origin: RequestOrigin): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.repository.deletePasskey(trx, accountId, id)))
        throw new AppError('not_found', 'No such passkey');
      await this.dropCodesIfNoFactorLeft(trx, accountId);
      await this.changed(trx, accountId, 'two_step.passkey_removed', 'passkey_removed', origin);
    });
  }

  /**
   * Request options for a passkey without an account (passwordless sign-in), or for the passkeys of one
   * account (re-authentication, recovery). Anyone may ask; each challenge is one short-lived row.
   */
  async passkeyRequestOptions(accountId?: string, origin?: RequestOrigin) {
    if (!accountId && origin) await this.deps.rateLimits.consumePasskeyOptions(origin.ip);
    const allow = accountId ? await this.repository.listPasskeys(accountId) : undefined;
    if (allow && allow.length === 0) throw new AppError('two_step.method_unavailable', 'This account has no passkey');
    const options = await this.deps.passkeys.requestOptions(allow);
    await this.rememberWebAuthnChallenge(
      accountId ?? null,
      accountId ? 'passkey_verify' : 'passkey_sign_in',
      options.challenge,
    );
    return options as unknown as Record<string, unknown>;
  }

  /**
   * Passwordless sign-in: the passkey (with user verification, so it is something held and something
   * known or being) opens the account. Returns the account id; the sessions feature issues the session.
   */
  async passkeySignIn(response: unknown, origin: RequestOrigin): Promise<string> {
    const credentialId = typeof (response as { id?: unknown })?.id === 'string' ? (response as { id: string }).id : '';
    const passkey = credentialId ? await this.repository.getPasskeyByCredential(credentialId) : undefined;
    // An unknown credential and a bad signature answer alike: no passkey id is confirmed to exist.
    if (!passkey) throw new AppError('passkey.invalid');
    const challenge = await this.openWebAuthnChallenge(null, challengeOf(response as never), ['passkey_sign_in']);
    const counter = await this.deps.passkeys.authenticate(response, passkey, challenge.webauthn_challenge!, true);
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.repository.consumeChallenge(trx, challenge.id, this.now(), 1)))
        throw new AppError('two_step.challenge_invalid');
      await this.refuseIfLocked(passkey.account_id, trx);
      await this.repository.usePasskey(trx, passkey.account_id, passkey.id, counter, this.now());
      await this.deps.events.record(trx, passkey.account_id, 'sign_in.passkey', origin);
    });
    return passkey.account_id;
  }

  // ---- Recovery codes ----

  /** A new set of ten codes, replacing the old; only for an account with a second factor. */
  async regenerateRecoveryCodes(accountId: string, origin: RequestOrigin): Promise<string[]> {
    return this.deps.db.transaction().execute(async (trx) => {
      const gate = await this.gateIn(trx, accountId);
      if (!gate.methods.some((m) => m !== 'recovery_code')) {
        throw new AppError(
          'two_step.method_unavailable',
          'Recovery codes come with two-step verification: add an authenticator app or a passkey first',
        );
      }
      const codes = await this.issueRecoveryCodes(trx, accountId);
      await this.changed(trx, accountId, 'two_step.recovery_codes_renewed', 'recovery_codes_renewed', origin);
      return codes;
    });
  }

  private async issueRecoveryCodes(trx: Executor, accountId: string): Promise<string[]> {
    const now = this.now();
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode());
    await this.repository.replaceRecoveryCodes(
      trx,
      accountId,
      codes.map((code) => ({
        account_id: accountId,
        id: uuidv7(),
        code_hash: this.recoveryHash(accountId, code),
        used_at: null,
        created_at: now,
      })),
    );
    return codes;
  }

  private recoveryHash(accountId: string, code: string): string {
    return hmac(this.deps.recoveryCodeKey, 'recovery-code', accountId, normalizeRecoveryCode(code));
  }

  private async dropCodesIfNoFactorLeft(trx: Executor, accountId: string): Promise<void> {
    // With no factor left the account is back to the password alone; codes would be a factor of nothing.
    if ((await this.gateIn(trx, accountId)).methods.every((m) => m === 'recovery_code'))
      await this.repository.replaceRecoveryCodes(trx, accountId, []);
  }

  // ---- The second step ----

  /** Opens a sign-in's second step: a single-use challenge id, short-lived and attempts-limited. */
  async startSignInChallenge(
    accountId: string,
    kind: SessionKindOfChallenge,
    methods: SecondFactorMethod[],
  ): Promise<SecondFactorChallenge> {
    const challengeId = newToken();
    const now = this.now();
    const passkeyOptions = methods.includes('passkey')
      ? await this.deps.passkeys.requestOptions(await this.repository.listPasskeys(accountId))
      : undefined;
    await this.repository.createChallenge(this.deps.db, {
      id: sha256(challengeId),
      account_id: accountId,
      purpose: 'sign_in',
      session_kind: kind,
      webauthn_challenge: passkeyOptions?.challenge ?? null,
      attempts: 0,
      created_at: now,
      expires_at: now + CHALLENGE_LIFETIME_MS,
      consumed_at: null,
    });
    return {
      challengeId,
      methods,
      expiresAt: iso(now + CHALLENGE_LIFETIME_MS),
      ...(passkeyOptions ? { passkeyOptions } : {}),
    };
  }

  /**
   * Completes a sign-in's second step. The challenge is consumed and the factor used in one transaction:
   * of concurrent completions one wins, and a wrong factor leaves the challenge for another try (up to
   * CHALLENGE_MAX_ATTEMPTS; the account-wide limit of RateLimits applies across challenges).
   */
  async completeSignIn(
    input: { challengeId: string } & SecondFactorInput,
    origin: RequestOrigin,
  ): Promise<{ accountId: string; kind: SessionKindOfChallenge }> {
    requireFactorFields(input);
    const id = sha256(input.challengeId);
    const challenge = await this.repository.getChallenge(id);
    const now = this.now();
    if (
      !challenge ||
      challenge.purpose !== 'sign_in' ||
      !challenge.account_id ||
      challenge.consumed_at != null ||
      challenge.expires_at <= now
    ) {
      throw new AppError('two_step.challenge_invalid');
    }
    if (challenge.attempts >= CHALLENGE_MAX_ATTEMPTS) throw new AppError('two_step.too_many_attempts');
    const accountId = challenge.account_id;
    await this.throttle(accountId, origin);
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        if (!(await this.repository.consumeChallenge(trx, id, now, CHALLENGE_MAX_ATTEMPTS)))
          throw new AppError('two_step.challenge_invalid');
        await this.refuseIfLocked(accountId, trx);
        await this.useFactor(trx, accountId, input, challenge.webauthn_challenge, origin);
      });
    } catch (error) {
      if (error instanceof AppError && (error.code === 'two_step.code_invalid' || error.code === 'passkey.invalid')) {
        const attempts = await this.repository.countChallengeAttempt(id);
        await this.deps.rateLimits.recordPasswordFailure(throttleKey(accountId), origin.ip);
        if (attempts >= CHALLENGE_MAX_ATTEMPTS) throw new AppError('two_step.too_many_attempts');
      }
      throw error;
    }
    await this.deps.rateLimits.recordPasswordSuccess(throttleKey(accountId), origin.ip);
    return { accountId, kind: challenge.session_kind ?? 'api' };
  }

  /**
   * Checks a second factor of an account outside sign-in (re-authentication, password recovery) and uses
   * it, in the caller's transaction when given. Rate-limited per account and IP like passwords.
   */
  async verifyFactor(
    accountId: string,
    input: SecondFactorInput,
    origin: RequestOrigin,
    executor?: Executor,
  ): Promise<void> {
    requireFactorFields(input);
    await this.throttle(accountId, origin);
    try {
      // Every read inside the transaction: on SQLite a read outside it would wait for its one connection.
      const run = async (trx: Executor) => {
        let expected: string | null = null;
        if (input.method === 'passkey') {
          const challenge = await this.openWebAuthnChallenge(
            accountId,
            challengeOf((input.response ?? {}) as never),
            ['passkey_verify', 'passkey_sign_in'],
            trx,
          );
          if (!(await this.repository.consumeChallenge(trx, challenge.id, this.now(), 1)))
            throw new AppError('two_step.challenge_invalid');
          expected = challenge.webauthn_challenge;
        }
        await this.useFactor(trx, accountId, input, expected, origin);
      };
      if (executor) await run(executor);
      else await this.deps.db.transaction().execute(run);
    } catch (error) {
      if (error instanceof AppError && (error.code === 'two_step.code_invalid' || error.code === 'passkey.invalid')) {
        await this.deps.rateLimits.recordPasswordFailure(throttleKey(accountId), origin.ip);
      }
      throw error;
    }
    await this.deps.rateLimits.recordPasswordSuccess(throttleKey(accountId), origin.ip);
  }

  /** Checks one factor and marks it used (TOTP step, recovery code, passkey counter), in the transaction. */
  private async useFactor(
    trx: Executor,
    accountId: string,
    input: SecondFactorInput,
    webauthnChallenge: string | null,
    origin: RequestOrigin,
  ): Promise<void> {
    const now = this.now();
    switch (input.method) {
      case 'totp': {
        const factor = await this.repository.getTotp(accountId, trx);
        if (!factor || factor.confirmed_at == null)
          throw new AppError('two_step.method_unavailable', 'This account has no authenticator app');
        const step = await this.totpStep(accountId, factor.secret_sealed, factor.last_step, input.code ?? '');
        // A code of a step already used (a replay, or the same code sent twice at once) fails here.
        if (step === undefined || !(await this.repository.claimTotpStep(trx, accountId, step)))
          throw new AppError('two_step.code_invalid');
        return;
      }
      case 'recovery_code': {
        const code = input.code ?? '';
        if (
          normalizeRecoveryCode(code).length !== 10 ||
          !(await this.repository.useRecoveryCode(trx, accountId, this.recoveryHash(accountId, code), now))
        ) {
          throw new AppError('two_step.code_invalid', 'The recovery code is wrong or was already used');
        }
        const remaining = await this.repository.countRecoveryCodes(accountId, trx);
        await this.deps.events.record(trx, accountId, 'two_step.recovery_code_used', origin);
        if (remaining <= RECOVERY_CODES_LOW) {
          const account = await this.account(accountId, trx);
          await this.deps.events.record(trx, accountId, 'two_step.recovery_codes_low', origin);
          if (account.email) {
            await this.deps.messages.enqueue(trx, {
              channel: 'email',
              to: account.email,
              kind: 'recovery_codes_low',
              locale: account.locale,
              accountId,
              params: { remaining },
            });
          }
        }
        return;
      }
      case 'passkey': {
        const credentialId =
          typeof (input.response as { id?: unknown })?.id === 'string' ? (input.response as { id: string }).id : '';
        const passkey = credentialId ? await this.repository.getPasskeyByCredential(credentialId, trx) : undefined;
        if (!passkey || passkey.account_id !== accountId || !webauthnChallenge) throw new AppError('passkey.invalid');
        const counter = await this.deps.passkeys.authenticate(input.response, passkey, webauthnChallenge, false);
        await this.repository.usePasskey(trx, accountId, passkey.id, counter, now);
        return;
      }
    }
  }

  // ---- Lock my account ----

  /**
   * Freezes the account: every web and API session and every app token ends, and no sign-in opens it
   * until a password recovery. Device tokens stay, as with recovery (see RecoveryService): a device
   * token cannot manage the account, and it is what keeps Find Device working on a phone that may be
   * in the wrong hands; the devices stay locked to the account.
   */
  async lock(accountId: string, origin: RequestOrigin): Promise<{ lockedAt: string }> {
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => this.lockIn(trx, accountId, origin, now));
    return { lockedAt: iso(now) };
  }

  /**
   * Lock my account from the link of a new sign-in or address-changed notice (POST /v1/account-lock):
   * no session, since whoever took the password may have ended them all. The link is spent in the
   * transaction that locks, so that of concurrent uses exactly one locks and the others are refused.
   * Unknown, used and expired tokens get the same answer, so that nothing tells which one it was.
   */
  async lockWithLink(token: string, origin: RequestOrigin): Promise<{ lockedAt: string }> {
    await this.deps.rateLimits.consumeLockLinkUse(origin.ip);
    const now = this.now();
    await this.deps.db.transaction().execute(async (trx) => {
      const accountId = await this.deps.lockLinks.consume(trx, token);
      if (!accountId) throw new AppError('account_lock.link_invalid');
      await this.lockIn(trx, accountId, origin, now);
      await writeAudit(trx, {
        at: now,
        action: 'account.locked_by_link',
        subject: hmac(this.deps.lookupKey, 'tombstone', accountId),
        detail: { via: 'notice_link' },
      });
    });
    return { lockedAt: iso(now) };
  }

  /** A "Lock my account" link for a notice being enqueued in the caller's transaction. */
  lockLinkFor(trx: Executor, accountId: string): Promise<string> {
    return this.deps.lockLinks.create(trx, accountId);
  }

  private async lockIn(trx: Executor, accountId: string, origin: RequestOrigin, now: number): Promise<void> {
    const account = await this.account(accountId, trx);
    await this.repository.lock(trx, accountId, now);
    await this.deps.sessionEnding.takeOffline(trx, accountId);
    await this.deps.events.record(trx, accountId, 'account.locked', origin);
    const contacts: Array<{ channel: 'email' | 'sms'; to: string }> = [];
    if (account.email) contacts.push({ channel: 'email', to: account.email });
    if (account.phone) contacts.push({ channel: 'sms', to: account.phone });
    for (const to of contacts) {
      await this.deps.messages.enqueue(trx, {
        ...to,
        kind: 'account_locked',
        locale: account.locale,
        accountId,
        params: { at: new Date(now).toUTCString(), ip: origin.ip },
      });
    }
  }

  /**
   * Turns two-step verification off: the authenticator app, every passkey and the recovery codes go.
   * Called, in its transaction, by a password recovery whose waiting period ended without the factor.
   */
  async resetFactors(trx: Executor, accountId: string, origin: RequestOrigin): Promise<void> {
    await this.repository.deleteTotp(trx, accountId);
    await this.repository.deleteAllPasskeys(trx, accountId);
    await this.repository.replaceRecoveryCodes(trx, accountId, []);
    await this.deps.events.record(trx, accountId, 'two_step.reset_by_recovery', origin);
  }

  /** Opens a locked account again: called by password recovery, in its transaction. */
  async unlock(trx: Executor, accountId: string, origin: RequestOrigin): Promise<void> {
    if (await this.repository.unlock(trx, accountId))
      await this.deps.events.record(trx, accountId, 'account.unlocked', origin);
  }

  async sweepExpired(): Promise<number> {
    const [challenges, links] = await Promise.all([
      this.repository.deleteExpiredChallenges(this.now()),
      this.repository.deleteExpiredLockLinks(this.now()),
    ]);
    return challenges + links;
  }

  // ---- Helpers ----

  private async gateIn(trx: Executor, accountId: string) {
    const [totp, passkeys, codes] = await Promise.all([
      this.repository.getTotp(accountId, trx),
      this.repository.listPasskeys(accountId, trx),
      this.repository.countRecoveryCodes(accountId, trx),
    ]);
    const methods: SecondFactorMethod[] = [];
    if (totp?.confirmed_at != null) methods.push('totp');
    if (passkeys.length > 0) methods.push('passkey');
    if (methods.length > 0 && codes > 0) methods.push('recovery_code');
    return { methods };
  }

  private async rememberWebAuthnChallenge(
    accountId: string | null,
    purpose: ChallengeRow['purpose'],
    challenge: string,
  ): Promise<void> {
    const now = this.now();
    await this.repository.createChallenge(this.deps.db, {
      id: sha256(`webauthn:${challenge}`),
      account_id: accountId,
      purpose,
      session_kind: null,
      webauthn_challenge: challenge,
      attempts: 0,
      created_at: now,
      expires_at: now + CHALLENGE_LIFETIME_MS,
      consumed_at: null,
    });
  }

  /** The remembered challenge a WebAuthn answer signed, if it is live, of one of the purposes, and the account's (or anyone's). */
  private async openWebAuthnChallenge(
    accountId: string | null,
    challenge: string,
    purposes: ChallengeRow['purpose'][],
    executor?: Executor,
  ): Promise<ChallengeRow> {
    const row = await this.repository.getChallenge(sha256(`webauthn:${challenge}`), executor);
    const ok =
      row &&
      purposes.includes(row.purpose) &&
      row.consumed_at == null &&
      row.expires_at > this.now() &&
      (row.account_id === null || row.account_id === accountId);
    if (!ok)
      throw new AppError(
        'two_step.challenge_invalid',
        'The passkey answer is for no live challenge; ask for new options',
      );
    return row;
  }

  private async throttle(accountId: string, origin: RequestOrigin): Promise<void> {
    await this.deps.rateLimits.checkPasswordAttempt(throttleKey(accountId), origin.ip);
  }

  private async failed(accountId: string, origin: RequestOrigin, code: 'two_step.code_invalid'): Promise<never> {
    await this.deps.rateLimits.recordPasswordFailure(throttleKey(accountId), origin.ip);
    throw new AppError(code);
  }

  /** A change to the settings: its security event and a notice by email, in the change's transaction. */
  private async changed(
    trx: Executor,
    accountId: string,
    event: SecurityEventType,
    change: TwoStepChange,
    origin: RequestOrigin,
  ): Promise<void> {
    await this.deps.events.record(trx, accountId, event, origin);
    const account = await this.account(accountId, trx);
    if (account.email) {
      await this.deps.messages.enqueue(trx, {
        channel: 'email',
        to: account.email,
        kind: 'two_step_changed',
        locale: account.locale,
        accountId,
        params: { change, at: new Date(this.now()).toUTCString() },
      });
    }
  }
}

/** A factor's method names the field it needs: code for totp and recovery_code, response for passkey. */
export function requireFactorFields(input: SecondFactorInput): void {
  if (input.method === 'passkey' && input.response === undefined)
    throw invalidField('response', 'is required for the passkey method');
  if (input.method !== 'passkey' && input.code === undefined)
    throw invalidField('code', `is required for the ${input.method} method`);
}

// Second-factor guesses share the password limits under a key of their own, per account and IP.
function throttleKey(accountId: string): string {
  return `two-step:${accountId}`;
}

/** A recovery code: 10 characters of an alphabet without look-alikes (about 49 bits), shown as xxxxx-xxxxx. */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let code = '';
  // 256 is not a multiple of 31: draw again for the few values past the last full cycle, so that each
  // character is uniform.
  for (let i = 0; code.length < 10; i++) {
    const byte = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (byte >= 248) continue;
    code += RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length];
  }
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
