import { uuidv7 } from 'uuidv7';
import type { Clock } from '../clock.js';
import type { Executor, VerificationCodeRow } from '../db/schema.js';
import { constantTimeEqual, hmac, newSixDigitCode } from '../crypto/tokens.js';
import { AppError } from '../http/errors.js';
import type { VerificationCodeRepository } from './repository.js';

/** Lifetime and tries of each kind of code. */
export const PURPOSES = {
  signup: { lifetimeMs: 15 * 60_000, maxAttempts: 5 },
  email_change: { lifetimeMs: 15 * 60_000, maxAttempts: 5 },
  phone_change: { lifetimeMs: 15 * 60_000, maxAttempts: 5 },
  recovery: { lifetimeMs: 15 * 60_000, maxAttempts: 5 },
  deletion: { lifetimeMs: 60_000, maxAttempts: 5 },
} as const;

export type Purpose = keyof typeof PURPOSES;

export interface IssuedCode {
  id: string;
  code: string;
  expiresAt: number;
  lifetimeMinutes: number;
}

export interface IssueRequest {
  purpose: Purpose;
  /** What the code is bound to: e.g. "email:a@b.c", or "account:ID:email:new@b.c". */
  subject: string;
  channel: 'email' | 'sms';
  accountId?: string | null;
}

// Stand-ins for a code that is not there, so that looking for none costs what checking one does. No row
// has this id (ids are UUIDs), no subject is this string, and no HMAC (base64url of 32 bytes) is this one.
const NO_CODE_ID = 'no-code';
const NO_SUBJECT = 'no-subject';
const NO_CODE_HMAC = 'A'.repeat(43);

/**
 * Verification codes for every purpose: stored as an HMAC bound to the purpose and subject, attempts
 * counted before comparing, consumed with a conditional update.
 */
export class VerificationService {
  private readonly repository: VerificationCodeRepository;
  private readonly codeKey: Buffer;
  private readonly lookupKey: Buffer;
  private readonly clock: Clock;

  constructor(deps: {
    repository: VerificationCodeRepository;
    codeKey: Buffer;
    lookupKey: Buffer;
    clock: Clock;
  }) {
    this.repository = deps.repository;
    this.codeKey = deps.codeKey;
    this.lookupKey = deps.lookupKey;
    this.clock = deps.clock;
  }

  private subjectLookup(purpose: Purpose, subject: string): string {
    return hmac(this.lookupKey, 'verification', purpose, subject);
  }

  private codeHmac(id: string, purpose: Purpose, subject: string, code: string): string {
    return hmac(this.codeKey, id, purpose, subject, code);
  }

  /** Creates a code in the caller's transaction, retiring earlier open codes for the same subject. */
  async issue(executor: Executor, request: IssueRequest): Promise<IssuedCode> {
    const settings = PURPOSES[request.purpose];
    const now = this.clock.now();
    const id = uuidv7();
    const code = newSixDigitCode();
    const subjectLookup = this.subjectLookup(request.purpose, request.subject);
    await this.repository.retireOpen(executor, request.purpose, subjectLookup, now);
    await this.repository.create(executor, {
      id,
      purpose: request.purpose,
      subject_lookup: subjectLookup,
      account_id: request.accountId ?? null,
      channel: request.channel,
      code_hmac: this.codeHmac(id, request.purpose, request.subject, code),
      attempts: 0,
      max_attempts: settings.maxAttempts,
      created_at: now,
      expires_at: now + settings.lifetimeMs,
      consumed_at: null,
    });
    return {
      id,
      code,
      expiresAt: now + settings.lifetimeMs,
      lifetimeMinutes: Math.max(1, Math.round(settings.lifetimeMs / 60_000)),
    };
  }

  /**
   * Checks a presented code against the newest open code of a subject (or a given code id). Counts the
   * attempt first; the caller consumes the returned row in the transaction that acts on it.
   */
  async check(purpose: Purpose, subject: string, presented: string, codeId?: string): Promise<VerificationCodeRow> {
    const row = codeId
      ? await this.repository.get(codeId)
      : await this.repository.getLatestOpen(purpose, this.subjectLookup(purpose, subject));
    const usable =
      row !== undefined &&
      row.purpose === purpose &&
      row.subject_lookup === this.subjectLookup(purpose, subject) &&
      row.consumed_at === null;
    const now = this.clock.now();
    // The same statements and the same HMAC run whatever there is to find (no code, an expired one, a
    // wrong one): the time of a refusal tells nothing about whether the subject has a code, or an account.
    const counted = await this.repository.countAttempt(usable ? row.id : NO_CODE_ID, now);
    const matches = constantTimeEqual(
      usable ? row.code_hmac : NO_CODE_HMAC,
      this.codeHmac(usable ? row.id : NO_CODE_ID, purpose, subject, presented),
    );
    if (!usable) throw new AppError('code_invalid', 'The code is wrong or was already used; ask for a new one');
    if (row.expires_at <= now) throw new AppError('code_expired');
    if (!counted) {
      // Either the tries are spent, or the code expired or was used between our read and this update.
      const fresh = await this.repository.get(row.id);
      if (fresh && fresh.consumed_at === null && fresh.expires_at > now) throw new AppError('too_many_attempts');
      if (fresh && fresh.expires_at <= now) throw new AppError('code_expired');
      throw new AppError('code_invalid', 'The code is wrong or was already used; ask for a new one');
    }
    if (!matches) {
      const left = row.max_attempts - row.attempts - 1;
      throw new AppError(
        'code_invalid',
        left > 0
          ? `The code is wrong; ${left} ${left === 1 ? 'try' : 'tries'} left`
          : 'The code is wrong; ask for a new one',
        {
          attemptsLeft: Math.max(0, left),
        },
      );
    }
    return row;
  }

  /**
   * check() for the routes anyone may call with any login (sign-up and recovery completion): every
   * refusal (wrong, expired, spent, used, or no code at all because the login has no account, or has
   * one already) is the same 400 code_invalid in the same words, so that the answer cannot tell a known
   * login from an unknown one. `subject` undefined stands for a login that can have no code.
   */
  async checkAnonymous(purpose: Purpose, subject: string | undefined, presented: string): Promise<VerificationCodeRow> {
    try {
      return await this.check(purpose, subject ?? NO_SUBJECT, presented);
    } catch (error) {
      if (error instanceof AppError && ['code_invalid', 'code_expired', 'too_many_attempts'].includes(error.code)) {
        throw new AppError('code_invalid', 'The code is wrong, expired or was already used; ask for a new one');
      }
      throw error;
    }
  }

  /** Consumes a checked code in the caller's transaction; throws code_invalid if another request won. */
  async consume(executor: Executor, row: VerificationCodeRow): Promise<void> {
    if (!(await this.repository.consume(executor, row.id, this.clock.now()))) {
      throw new AppError('code_invalid', 'The code was already used');
    }
  }

  /** Drops every code of the account, in the caller's transaction (it leaves `active` for deletion). */
  forgetAccount(executor: Executor, accountId: string): Promise<void> {
    return this.repository.deleteOfAccount(executor, accountId);
  }

  async sweepExpired(): Promise<number> {
    // Keep a day of history for support questions, then forget.
    return this.repository.deleteExpired(this.clock.now() - 86_400_000);
  }
}
