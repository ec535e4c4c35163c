import { randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';
import type { Clock } from '../clock.js';
import type { JobPayloads, SealedRecoveryRequest } from '../jobs/kinds.js';
import { openJobPayload, sealJobPayload } from '../jobs/sealed-payload.js';
import type { JobService } from '../jobs/service.js';
import type { AccountRow, Db, Executor, VerificationCodeRow } from '../db/schema.js';
import { hmac } from '../crypto/tokens.js';
import { hashPassword, passwordProblem } from '../crypto/passwords.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { parseLogin } from '../accounts/addresses.js';
import type { AccountService } from '../accounts/service.js';
import type { CaptchaService } from '../captcha/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import { AppError, invalidField } from '../http/errors.js';
import type { MessageService } from '../messaging/service.js';
import type { Channel } from '../messaging/transports.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { VerificationService } from '../verification/service.js';
import { pendingRecoveries } from './repository.js';
import type { SecondFactorInput, TwoStepService } from '../two-step/service.js';

const RECOVERY_JOB = 'recovery.request';
const FINISH_WAITING_JOB = 'recovery.finish_waiting';
/** Where the cancel link of a waiting recovery points: a portal page that asks before it acts. */
export const RECOVERY_CANCEL_PAGE_PATH = '/account/recovery-cancel';

/** The code is bound to the account, not to the login typed: any login of the account completes it. */
function subjectOf(accountId: string): string {
  return `account:${accountId}`;
}

/**
 * Password recovery ("forgot password"): a code by email or SMS behind a captcha, then a new password.
 *
 * Sessions: recovery ends every web and API session, and keeps device tokens. API.md says "every session
 * of the account ends; cloud data, devices and credits stay", and a device's token is what keeps the
 * device in the account: ending it would (1) cut Find Device off a lost or stolen phone exactly when its
 * owner is most likely recovering the account, and (2) make every phone set itself up again, which the
 * trip-wire of the devices issue refuses for 24 hours after a password change or recovery, locking the
 * owner out of their own phones. A device token cannot act as the account (it cannot manage devices or
 * sessions), and the owner ends any one by removing the device; the notice says so. This matches
 * `POST /v1/me/password`, which also ends only web and API sessions.
 */
export interface RecoveryDeps {
  db: Db;
  accounts: AccountService;
  sessions: SessionEnding;
  verification: VerificationService;
  messages: MessageService;
  events: SecurityEventService;
  rateLimits: RateLimits;
  captcha: CaptchaService;
  clock: Clock;
  jobs: JobService;
  /** Seals the login in a recovery request's job payload. */
  payloadKey: Buffer;
  /** Keys the hash of a waiting recovery's cancel link. */
  lookupKey: Buffer;
  twoStep: TwoStepService;
  /** The portal's address, for the cancel link of a waiting recovery. */
  baseUrl: string;
  /** How long a recovery without the second factor waits before it takes effect (LANYARD_RECOVERY_WAIT_H). */
  waitHours: number;
}

export class RecoveryService {
  private readonly db: Db;
  private readonly accounts: AccountService;
  private readonly sessions: SessionEnding;
  private readonly verification: VerificationService;
  private readonly messages: MessageService;
  private readonly events: SecurityEventService;
  private readonly rateLimits: RateLimits;
  private readonly captcha: CaptchaService;
  private readonly clock: Clock;
  private readonly jobs: JobService;
  private readonly payloadKey: Buffer;
  private readonly twoStep: TwoStepService;

  constructor(private readonly deps: RecoveryDeps) {
    ({
      db: this.db,
      accounts: this.accounts,
      sessions: this.sessions,
      verification: this.verification,
      messages: this.messages,
      events: this.events,
      rateLimits: this.rateLimits,
      captcha: this.captcha,
      clock: this.clock,
      jobs: this.jobs,
      payloadKey: this.payloadKey,
      twoStep: this.twoStep,
    } = deps);
  }

  private async activeAccount(login: string): Promise<AccountRow | undefined> {
    const account = await this.accounts.findByLogin(parseLogin(login));
    return account && account.status === 'active' ? account : undefined;
  }

  /**
   * Takes a request for a recovery code by the chosen channel; a job sends it. Unknown logins, accounts
   * being deleted and channels the account lacks get the same answer and send nothing. The request only
   * records the job, the same one row for every login, so that neither the answer nor its time tells
   * whether the login has an account: looking it up and issuing the code here took a transaction for
   * known logins that unknown ones skipped.
   */
  async request(
    input: { login: string; channel: Channel; captcha?: string | undefined },
    origin: RequestOrigin,
  ): Promise<void> {
    // The captcha comes first: a script without one must not spend the code budget of someone's address.
    await this.captcha.accept(input.captcha);
    const login = parseLogin(input.login);
    // Limited per IP and per login and channel asked for, which is the same for every login, known or
    // not. The real address is also counted when the job sends (see send).
    await this.rateLimits.consumeCodeSend(`recovery:${login.kind}:${login.value}:${input.channel}`, origin.ip);
    const id = uuidv7();
    const request: SealedRecoveryRequest = { login: input.login, channel: input.channel };
    // The login is an email or phone: the jobs table holds it sealed, and only until the job has run.
    const payload = sealJobPayload(this.payloadKey, RECOVERY_JOB, id, request);
    await this.jobs.enqueue(this.db, { id, kind: RECOVERY_JOB, payload, maxAttempts: 5 });
  }

  /**
   * The job: issues the code and queues its message in one transaction. The real address is counted too
   * (with sign-up codes to it), so that it is not flooded through the account's other logins; past that
   * limit nothing is sent. A retry after a crash issues a new code, which replaces the first.
   */
  async send(payload: JobPayloads['recovery.request'], jobId: string): Promise<void> {
    const request = openJobPayload(this.payloadKey, RECOVERY_JOB, jobId, payload);
    const account = await this.accounts.findByLogin(parseLogin(request.login));
    const to = account?.status === 'active' ? (request.channel === 'email' ? account.email : account.phone) : null;
    if (!account || !to || !(await this.rateLimits.tryCodeSendTo(to))) return;
    await this.db.transaction().execute(async (trx) => {
      const issued = await this.verification.issue(trx, {
        purpose: 'recovery',
        subject: subjectOf(account.id),
        channel: request.channel,
        accountId: account.id,
      });
      await this.messages.enqueue(trx, {
        channel: request.channel,
        to,
        kind: 'recovery_code',
        locale: account.locale,
        accountId: account.id,
        params: { code: issued.code, minutes: issued.lifetimeMinutes },
      });
    });
  }

  /**
   * Sets a new password with the code. Every web and API session ends, data and devices stay, and the
   * owner is told at every address (so also by the channel the code did not go to).
   */
  async complete(
    input: {
      login: string;
      code: string;
      newPassword: string;
      secondFactor?: SecondFactorInput | undefined;
      waitingPeriod?: boolean | undefined;
    },
    origin: RequestOrigin,
  ): Promise<{ completesAt: number } | undefined> {
    const problem = passwordProblem(input.newPassword);
    if (problem) throw invalidField('newPassword', problem);
    const account = await this.activeAccount(input.login);
    // An unknown login has no code: it goes through the same check (same statements, same answer) as a
    // known login with a wrong code, so that neither the answer nor its time tells them apart.
    const code = await this.verification.checkAnonymous(
      'recovery',
      account ? subjectOf(account.id) : undefined,
      input.code,
    );
    if (!account) throw new AppError('internal_error', 'a recovery code matched a login without an account');
    // A code by email or SMS proves the address, not the person: with a second factor enrolled, recovery
    // also asks it (or a recovery code), or whoever reads the mailbox would take the account. Asked after
    // the code is checked and before it is used, so that the answer says nothing to someone without the
    // code, and the person can send the same code again with the factor.
    const { methods } = await this.twoStep.gate(account.id);
    if (methods.length > 0 && !input.secondFactor) {
      if (input.waitingPeriod === true)
        return this.startWaiting(account, code, await hashPassword(input.newPassword), origin);
      throw new AppError(
        'two_step.required',
        'This account has two-step verification: send secondFactor (an authenticator code, a passkey or a recovery code) with the code, or waitingPeriod: true when none is at hand',
        { methods, waitingPeriodHours: this.deps.waitHours },
      );
    }
    const passwordHash = await hashPassword(input.newPassword);
    await this.db.transaction().execute(async (trx) => {
      // Of concurrent completions with the right code, one consumes it; the others fail and roll back.
      await this.verification.consume(trx, code);
      if (methods.length > 0) await this.twoStep.verifyFactor(account.id, input.secondFactor!, origin, trx);
      await this.applyNewPassword(trx, account, passwordHash, code.channel, origin);
      // A recovery with the factor also ends any recovery that was waiting without it.
      await pendingRecoveries.delete(trx, account.id);
    });
    return undefined;
  }

  /** The new password in place: the account opened if locked, web and API sessions ended, every address told. */
  private async applyNewPassword(
    trx: Executor,
    account: AccountRow,
    passwordHash: string,
    channel: Channel,
    origin: RequestOrigin,
  ): Promise<void> {
    // Recovery is what opens an account its owner locked (POST /v1/me/lock).
    await this.twoStep.unlock(trx, account.id, origin);
    const now = this.clock.now();
    // password_changed_at also arms the devices' trip-wire: a locked device reset now cannot be set up
    // again with this account for 24 hours.
    await this.accounts.setPasswordHash(trx, account.id, passwordHash, now);
    await this.sessions.endSignIns(trx, account.id);
    await this.events.record(trx, account.id, 'password.recovered', origin);
    const via = channel === 'email' ? 'email' : 'phone';
    await this.accounts.tellEveryAddress(trx, account, {
      kind: 'password_recovered',
      params: { via, ip: origin.ip, at: new Date(now).toUTCString() },
    });
  }

  private cancelHashOf(token: string): string {
    return hmac(this.deps.lookupKey, 'recovery-cancel', token);
  }

  /**
   * A recovery without the second factor, for a person who lost it and the recovery codes: the code is
   * spent now, the new password waits out the period (one waiting recovery per account; a new one
   * replaces it), and every address is told with a link that cancels it. Whoever only reads one mailbox
   * thus cannot take the account before its owner, told on every channel, has had days to say no.
   */
  private async startWaiting(
    account: AccountRow,
    code: VerificationCodeRow,
    passwordHash: string,
    origin: RequestOrigin,
  ): Promise<{ completesAt: number }> {
    const now = this.clock.now();
    const completesAt = now + this.deps.waitHours * 3_600_000;
    // Hex: in a notice a run of six digits between dashes would read as a code (see lock-links.ts).
    const token = randomBytes(32).toString('hex');
    const cancelUrl = `${this.deps.baseUrl.replace(/\/$/, '')}${RECOVERY_CANCEL_PAGE_PATH}?token=${token}`;
    await this.db.transaction().execute(async (trx) => {
      await this.verification.consume(trx, code);
      await pendingRecoveries.replace(trx, {
        account_id: account.id,
        password_hash: passwordHash,
        channel: code.channel,
        requested_at: now,
        completes_at: completesAt,
        cancel_hash: this.cancelHashOf(token),
      });
      const job: JobPayloads['recovery.finish_waiting'] = { accountId: account.id, requestedAt: now };
      await this.jobs.enqueue(trx, { kind: FINISH_WAITING_JOB, payload: job, runAt: completesAt, maxAttempts: 100 });
      await this.events.record(trx, account.id, 'password.recovery_waiting', origin);
      await this.accounts.tellEveryAddress(trx, account, {
        kind: 'recovery_waiting',
        params: { completesAt: new Date(completesAt).toUTCString(), ip: origin.ip, cancelUrl },
      });
    });
    return { completesAt };
  }

  /** The job at the end of the period: the waiting recovery takes effect, unless it was cancelled or replaced. */
  async finishWaiting(job: JobPayloads['recovery.finish_waiting']): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const pending = await pendingRecoveries.get(trx, job.accountId, job.requestedAt);
      if (!pending) return;
      await pendingRecoveries.delete(trx, job.accountId);
      const account = await this.accounts.get(job.accountId, trx);
      if (!account || account.status !== 'active') return;
      const origin = { ip: '', client: 'password recovery (waiting period ended)' };
      await this.twoStep.resetFactors(trx, account.id, origin);
      await this.applyNewPassword(trx, account, pending.password_hash, pending.channel, origin);
    });
  }

  /**
   * Cancels a waiting recovery with the link of its notice (POST /v1/recovery/cancel), no session needed:
   * the owner may have none. Unknown and already used tokens get the same answer.
   */
  async cancelWaiting(token: string, origin: RequestOrigin): Promise<void> {
    await this.rateLimits.consumeRecoveryCancel(origin.ip);
    await this.db.transaction().execute(async (trx) => {
      const accountId = await pendingRecoveries.deleteByCancelHash(trx, this.cancelHashOf(token));
      if (!accountId) throw new AppError('recovery.cancel_invalid');
      await this.events.record(trx, accountId, 'password.recovery_cancelled', origin);
    });
  }
}
