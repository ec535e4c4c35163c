import { iso, type Clock } from '../clock.js';
import type { AccountRow, Db, SessionRow } from '../db/schema.js';
import { writeAtomically } from '../db/atomic.js';
import type { DialectName } from '../db/database.js';
import { constantTimeEqual, hmac, sha256 } from '../crypto/tokens.js';
import { verifyPassword } from '../crypto/passwords.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { parseLogin } from '../accounts/addresses.js';
import type { AccountService, Profile } from '../accounts/service.js';
import type { CaptchaService } from '../captcha/service.js';
import type { MessageService } from '../messaging/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import { FRESH_SESSION_MS, type AuthContext, type Authenticator } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import type { OriginSealer } from '../events/sealed-origin.js';
import type { SessionRepository, SessionWithAccount } from './repository.js';
import type { SessionCache } from './session-cache.js';
import type { IssuedSession, SessionIssuer, SessionKind } from './issuer.js';
import {
  LOCK_LINK_DAYS,
  type SecondFactorChallenge,
  type SecondFactorInput,
  type TwoStepService,
} from '../two-step/service.js';

export interface SignInInput {
  login: string;
  password: string;
  kind: SessionKind;
  captcha?: string | undefined;
}

/** POST /v1/session/reauth: the password, or a second factor (a code, or a passkey's response). */
export interface ReauthCredential {
  password?: string | undefined;
  method?: SecondFactorInput['method'] | undefined;
  code?: string | undefined;
  response?: unknown;
}

export interface SessionView {
  id: string;
  kind: SessionKind;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string;
  client: string;
}

/** A staff session unused for this long ends at its next staff route (issue 17: 30 minutes idle). */
export const STAFF_IDLE_MS = 30 * 60_000;

// last_used_at is written at most this often per session, so that reads stay reads. Each write dirties
// random pages of the sessions table and its idle index: about 40 µs of SQLite's time, as much as the rest of
// a session check, for a session checked about once per interval (issue 18: 100,000 sessions in rotation).
// A staff session keeps a minute, which its 30-minute idle rule needs; others are written every 5 minutes,
// which only an idle lifetime of days has to allow for (never more than a tenth of it).
const TOUCH_INTERVAL_MS = 5 * 60_000;
const STAFF_TOUCH_INTERVAL_MS = 60_000;
// Uses to record are gathered this long and written in one statement (see SessionService.authenticate).
const TOUCH_FLUSH_MS = 200;
// At most this many sessions in one statement.
const TOUCH_BATCH = 250;

/** Sessions: sign-in, bearer and cookie authentication, listing and ending sessions, re-authentication. */
export class SessionService implements Authenticator {
  private readonly db: Db;
  private readonly dialect: DialectName;
  private readonly repository: SessionRepository;
  private readonly accountService: AccountService;
  private readonly events: SecurityEventService;
  private readonly messages: MessageService;
  private readonly rateLimits: RateLimits;
  private readonly issuer: SessionIssuer;
  private readonly csrfKey: Buffer;
  private readonly clock: Clock;
  private readonly captcha: CaptchaService;
  private readonly origins: OriginSealer;
  private readonly twoStep: TwoStepService;
  private readonly cache: SessionCache | undefined;

  constructor(deps: {
    db: Db;
    repository: SessionRepository;
    accountService: AccountService;
    events: SecurityEventService;
    messages: MessageService;
    rateLimits: RateLimits;
    issuer: SessionIssuer;
    csrfKey: Buffer;
    clock: Clock;
    captcha: CaptchaService;
    dialect: DialectName;
    origins: OriginSealer;
    twoStep: TwoStepService;
    /** Session checks kept in memory (see SessionCache); without it every check reads the database. */
    cache?: SessionCache;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.accountService = deps.accountService;
    this.events = deps.events;
    this.messages = deps.messages;
    this.rateLimits = deps.rateLimits;
    this.issuer = deps.issuer;
    this.csrfKey = deps.csrfKey;
    this.clock = deps.clock;
    this.captcha = deps.captcha;
    this.dialect = deps.dialect;
    this.origins = deps.origins;
    this.twoStep = deps.twoStep;
    this.cache = deps.cache;
  }

  /**
   * Signs in with an email, phone or account id and a password; every failure looks the same. After 5
   * failures for the login or from the IP in 15 minutes, it also needs a solved captcha.
   */
  async signIn(input: SignInInput, origin: RequestOrigin): Promise<{ account: Profile; session: IssuedSession }> {
    const result = await this.beginSignIn(input, origin);
    // A caller that knows no second step (an older page) must never get a session without one: it gets
    // two_step.required, with the challenge, which completeSecondFactor completes.
    if ('secondFactor' in result)
      throw new AppError('two_step.required', undefined, { secondFactor: result.secondFactor });
    return result;
  }

  /**
   * The password step of a sign-in: the session, or, when the account has a second factor, the challenge
   * of the second step (completed by completeSecondFactor). What POST /v1/sessions and any sign-in page
   * (the OpenID provider's included) call.
   */
  async beginSignIn(
    input: SignInInput,
    origin: RequestOrigin,
  ): Promise<{ account: Profile; session: IssuedSession } | { secondFactor: SecondFactorChallenge }> {
    const login = parseLogin(input.login);
    const loginKey = `${login.kind}:${login.value}`;
    await this.rateLimits.checkPasswordAttempt(loginKey, origin.ip);
    // Checked before the password, so that a script without captchas learns nothing from its guesses;
    // unknown logins count the same as known ones, so that asking for a captcha reveals nothing either.
    if (await this.rateLimits.signInNeedsCaptcha(loginKey, origin.ip)) await this.captcha.accept(input.captcha);
    const found = await this.accountService.findForSignIn(login, this.events.clientLookup(origin.client));
    const usable = found && found.account.status === 'active' ? found.account : undefined;
    const knownClient = found?.knownClient ?? false;
    const ok = await verifyPassword(usable?.password_hash, input.password);
    if (!usable || !ok) {
      const burst = await this.rateLimits.recordPasswordFailure(loginKey, origin.ip);
      await this.rateLimits.recordSignInFailure(loginKey, origin.ip);
      if (burst && usable) await this.events.record(this.db, usable.id, 'sign_in.failures_burst', origin);
      throw new AppError('invalid_credentials');
    }
    await this.rateLimits.recordPasswordSuccess(loginKey, origin.ip);
    // Asked only once the password is right, so that neither a lock nor a second factor tells a guesser
    // anything about the account.
    const gate = await this.twoStep.gate(usable.id);
    if (gate.suspended) throw new AppError('account.suspended');
    if (gate.locked) throw new AppError('account.locked');
    if (gate.methods.length > 0)
      return { secondFactor: await this.twoStep.startSignInChallenge(usable.id, input.kind, gate.methods) };
    if (knownClient) {
      // The usual sign-in, from a client seen before: the session and its event in one round trip.
      const { row, issued } = await this.issuer.prepare(usable.id, input.kind, origin);
      await writeAtomically(this.db, this.dialect, [
        this.repository.pendingCreate(row),
        this.events.pendingInsert(await this.events.prepareRecord(usable.id, 'sign_in', origin)),
      ]);
      return { account: this.accountService.profileOf(usable), session: issued };
    }
    return this.issueSignIn(usable, input.kind, origin);
  }

  /** A sign-in's second step (POST /v1/sessions/second-factor): the factor given, the session issued. */
  async completeSecondFactor(input: { challengeId: string } & SecondFactorInput, origin: RequestOrigin) {
    const { accountId, kind } = await this.twoStep.completeSignIn(input, origin);
    return { ...(await this.issueSignIn(await this.activeAccountOf(accountId), kind, origin)), kind };
  }

  /** Passwordless sign-in with a passkey (POST /v1/sessions/passkey). */
  async signInWithPasskey(response: unknown, kind: SessionKind, origin: RequestOrigin) {
    const accountId = await this.twoStep.passkeySignIn(response, origin);
    return this.issueSignIn(await this.activeAccountOf(accountId), kind, origin);
  }

  private async activeAccountOf(accountId: string): Promise<AccountRow> {
    const account = await this.accountService.findByLogin({ kind: 'id', value: accountId });
    if (!account || account.status !== 'active') throw new AppError('invalid_credentials');
    return account;
  }

  /** Issues a sign-in's session with its event, and tells every address of a client not seen before. */
  private async issueSignIn(usable: AccountRow, kind: SessionKind, origin: RequestOrigin) {
    const session = await this.db.transaction().execute(async (trx) => {
      const issued = await this.issuer.create(trx, usable.id, kind, origin);
      await this.events.record(trx, usable.id, 'sign_in', origin);
      if (await this.events.rememberClient(trx, usable.id, origin.client)) {
        await this.events.record(trx, usable.id, 'sign_in.new_client', origin);
        for (const to of this.accountService.contactsOf(usable)) {
          await this.messages.enqueue(trx, {
            ...to,
            kind: 'new_client_sign_in',
            locale: usable.locale,
            accountId: usable.id,
            // Each notice its own link: whoever took the password may sign the owner out of everything.
            params: {
              client: origin.client,
              ip: origin.ip,
              at: new Date(this.clock.now()).toUTCString(),
              lockUrl: await this.twoStep.lockLinkFor(trx, usable.id),
              days: LOCK_LINK_DAYS,
            },
          });
        }
      }
      return issued;
    });
    return { account: this.accountService.profileOf(usable), session };
  }

  /**
   * Uses of sessions not written yet, by session id: when (the time of the use) and whose. A request
   * that finds its session's last_used_at over a minute old used to write it before answering, and with
   * many sessions in use that was most requests (issue 18: a write, and on PostgreSQL a commit, per
   * session check). They are gathered here and written together every TOUCH_FLUSH_MS; until then this
   * process reads its own uses from here, so that expiry, the staff idle check and the session list see
   * them at once. Another process sees them up to TOUCH_FLUSH_MS later, next to the 5 minutes (a minute
   * for staff) of TOUCH_INTERVAL_MS that last_used_at may lag anyway.
   */
  private readonly pendingUses = new Map<string, { accountId: string; at: number }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  async authenticate(
    token: string,
    options: { uncached?: boolean } = {},
  ): Promise<Omit<AuthContext, 'via'> | undefined> {
    const tokenHash = sha256(token);
    const now = this.clock.now();
    const cache = options.uncached ? undefined : this.cache;
    const ticket = cache?.begin();
    let found: SessionWithAccount | undefined = ticket === undefined ? undefined : cache!.get(tokenHash);
    if (found && this.expiryOf(found.session) <= now) {
      // Idle by the uses this process knows of; another process may have used it since: ask the database.
      cache!.forget(tokenHash);
      found = undefined;
    }
    if (!found) {
      found = await this.repository.getByTokenHash(tokenHash);
      if (!found || found.account.status !== 'active') return undefined;
      if (ticket !== undefined) cache!.set(tokenHash, found, ticket);
    }
    const { session, account } = found;
    const lastUsedAt = this.lastUseOf(session);
    if (this.expiryOf(session) <= now) return undefined;
    if (now - lastUsedAt >= this.touchIntervalOf(account.role)) {
      this.recordUse(session.account_id, session.id, now);
      // A kept check then knows of this use once it is written, and records the next one an interval later.
      session.last_used_at = now;
    }
    return {
      accountId: session.account_id,
      sessionId: session.id,
      kind: session.kind,
      role: account.role,
      reauthenticatedAt: session.reauthenticated_at,
      lastUsedAt,
      tokenHash,
      account,
    };
  }

  /** How often a use of the session is written (see TOUCH_INTERVAL_MS). */
  private touchIntervalOf(role: AuthContext['role']): number {
    return Math.min(role === 'user' ? TOUCH_INTERVAL_MS : STAFF_TOUCH_INTERVAL_MS, this.issuer.lifetimes.idleMs / 10);
  }

  /** When the session was last used, counting the uses this process has not written yet. */
  private lastUseOf(session: Pick<SessionRow, 'id' | 'last_used_at'>): number {
    const pending = this.pendingUses.get(session.id);
    return pending && pending.at > session.last_used_at ? pending.at : session.last_used_at;
  }

  /** The session's expiry, counting the uses this process has not written yet. */
  private expiryOf(row: Pick<SessionRow, 'id' | 'kind' | 'expires_at' | 'last_used_at'>): number {
    return this.issuer.expiryOf({ kind: row.kind, expires_at: row.expires_at, last_used_at: this.lastUseOf(row) });
  }

  private recordUse(accountId: string, id: string, at: number): void {
    this.pendingUses.set(id, { accountId, at });
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flushUses(), TOUCH_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /**
   * Writes the uses gathered so far (the sweep and shutdown call it too). Each batch is written with the
   * earliest use in it, so that a session never seems used later than it was. A use stays in pendingUses
   * until its write has committed, so that a check meanwhile still sees it; a write that fails leaves its
   * uses there for the next flush (none after the last, `final`, at shutdown).
   */
  async flushUses(options: { final?: boolean } = {}): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const uses = [...this.pendingUses];
    const write = async () => {
      let failed = false;
      for (let i = 0; i < uses.length; i += TOUCH_BATCH) {
        const batch = uses.slice(i, i + TOUCH_BATCH);
        const at = Math.min(...batch.map(([, use]) => use.at));
        try {
          await this.repository.touchMany(
            batch.map(([id, use]) => ({ accountId: use.accountId, id })),
            at,
          );
        } catch {
          failed = true;
          continue;
        }
        // A later use recorded meanwhile is another entry, which stays for the next flush.
        for (const [id, use] of batch) if (this.pendingUses.get(id) === use) this.pendingUses.delete(id);
      }
      if (failed && !options.final && !this.flushTimer && this.pendingUses.size > 0) {
        this.flushTimer = setTimeout(() => void this.flushUses(), TOUCH_FLUSH_MS);
        this.flushTimer.unref();
      }
    };
    this.flushing = this.flushing.then(write);
    await this.flushing;
  }

  csrfTokenFor(tokenHash: string): string {
    return hmac(this.csrfKey, 'csrf', tokenHash);
  }

  csrfTokenMatches(tokenHash: string, presented: string): boolean {
    return constantTimeEqual(this.csrfTokenFor(tokenHash), presented);
  }

  async checkStaff(auth: AuthContext): Promise<void> {
    // An idle staff session is one left open on a desk: it ends rather than waiting for the general idle expiry.
    if (this.clock.now() - auth.lastUsedAt >= STAFF_IDLE_MS) {
      await this.repository.delete(this.db, auth.accountId, auth.sessionId);
      throw new AppError('staff.session_idle');
    }
    // A staff password alone opens every account's data: staff need a factor of their own (not recovery codes alone).
    const { methods } = await this.twoStep.gate(auth.accountId);
    if (!methods.some((method) => method === 'totp' || method === 'passkey'))
      throw new AppError('staff.second_factor_required');
  }

  isFresh(auth: AuthContext): boolean {
    return this.clock.now() - auth.reauthenticatedAt < FRESH_SESSION_MS;
  }

  /** The current session, with its CSRF token for cookie-authenticated state changes. */
  async current(auth: AuthContext) {
    const row = await this.repository.get(auth.accountId, auth.sessionId);
    if (!row) throw new AppError('unauthenticated');
    return {
      ...(await this.view(row, auth.sessionId)),
      accountId: auth.accountId,
      fresh: this.isFresh(auth),
      freshUntil: iso(row.reauthenticated_at + FRESH_SESSION_MS),
      csrfToken: this.csrfTokenFor(auth.tokenHash),
    };
  }

  async list(auth: AuthContext): Promise<Array<SessionView & { unreadable?: true }>> {
    const rows = await this.repository.list(auth.accountId);
    const now = this.clock.now();
    return Promise.all(rows.filter((row) => this.expiryOf(row) > now).map((row) => this.view(row, auth.sessionId)));
  }

  /** An account's live sessions, for staff (none is the caller's). */
  async listOf(accountId: string): Promise<Array<SessionView & { unreadable?: true }>> {
    const rows = await this.repository.list(accountId);
    const now = this.clock.now();
    return Promise.all(rows.filter((row) => this.expiryOf(row) > now).map((row) => this.view(row, '')));
  }

  private async view(row: SessionRow, currentId: string): Promise<SessionView & { unreadable?: true }> {
    const { ip, client, unreadable } = await this.origins.openOrBlank(row.account_id, 'sessions', row);
    return {
      ...(unreadable ? { unreadable } : {}),
      id: row.id,
      kind: row.kind,
      current: row.id === currentId,
      createdAt: iso(row.created_at),
      lastUsedAt: iso(this.lastUseOf(row)),
      expiresAt: iso(this.expiryOf(row)),
      ip,
      client,
    };
  }

  /** Ends one session of the caller's account; another account's session id is simply not found. */
  async end(auth: AuthContext, id: string, origin: RequestOrigin): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await this.repository.delete(trx, auth.accountId, id))) throw new AppError('not_found', 'No such session');
      await this.events.record(trx, auth.accountId, 'session.ended', origin);
    });
  }

  /** Ends every web and API session but the caller's; device tokens are ended by unlinking the device. */
  async endOthers(auth: AuthContext, origin: RequestOrigin): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const ended = await this.repository.deleteOthers(trx, auth.accountId, auth.sessionId, ['web', 'api']);
      await this.events.record(trx, auth.accountId, 'sessions.ended_others', origin);
      return ended;
    });
  }

  /**
   * The password (or a second factor) again: the session is replaced by a new one, fresh for 10 minutes. A new token, not the
   * old one made fresh, so that a copy of the old token (a cookie lifted from the browser) is not
   * promoted along with the owner's; the old one stops working at once. Deleting it first also makes
   * the exchange single-use: of two re-authentications with one token, the second finds nothing to end.
   */
  async reauthenticate(
    auth: AuthContext,
    credential: ReauthCredential,
    origin: RequestOrigin,
  ): Promise<{ session: IssuedSession; freshUntil: string }> {
    await this.rateLimits.consumeReauthentication(auth.accountId);
    await this.checkReauthCredential(auth.accountId, credential, origin);
    const { row, issued } = await this.issuer.prepare(auth.accountId, auth.kind, origin);
    const session = await this.db.transaction().execute(async (trx) => {
      // Replaced, not ended: the apps signed in through the old session stay signed in through the new one.
      if (!(await this.repository.delete(trx, auth.accountId, auth.sessionId, issued.id)))
        throw new AppError('unauthenticated', 'The session has ended; sign in again');
      await this.repository.create(trx, row);
      await this.events.record(trx, auth.accountId, 'session.reauthenticated', origin);
      return issued;
    });
    return { session, freshUntil: iso(this.clock.now() + FRESH_SESSION_MS) };
  }

  /**
   * What re-authentication accepts: the password, or a second factor. With a second factor enrolled, the
   * password alone is not enough (it is what a phished or leaked credential is); the factor is, with or
   * without the password.
   */
  private async checkReauthCredential(
    accountId: string,
    credential: ReauthCredential,
    origin: RequestOrigin,
  ): Promise<void> {
    if (credential.method === undefined) {
      if (credential.password === undefined)
        throw invalidField('password', 'is required, unless a second factor (method with code or response) is given');
      await this.accountService.checkPassword(accountId, credential.password, origin.ip, 'The password is wrong');
      const { methods } = await this.twoStep.gate(accountId);
      if (methods.length > 0) throw new AppError('two_step.required', undefined, { methods });
      return;
    }
    if (credential.password !== undefined)
      await this.accountService.checkPassword(accountId, credential.password, origin.ip, 'The password is wrong');
    await this.twoStep.verifyFactor(
      accountId,
      { method: credential.method, code: credential.code, response: credential.response },
      origin,
    );
  }

  async sweepExpired(): Promise<number> {
    // A session used in the last moments must not be swept as idle for a use not written yet.
    await this.flushUses();
    await this.repository.pruneAuthChanges();
    return this.repository.deleteExpired(this.clock.now(), this.issuer.lifetimes.idleMs);
  }
}
