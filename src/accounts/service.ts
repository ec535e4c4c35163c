import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { AccountRow, Db, Executor, StoredAccountRow } from '../db/schema.js';
import { hashPassword, passwordProblem, verifyPassword } from '../crypto/passwords.js';
import { hmac } from '../crypto/tokens.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import { AppError, invalidField } from '../http/errors.js';
import type { AuthAccount } from '../http/auth.js';
import type { MessageService } from '../messaging/service.js';
import type { MessageKind, MessageParams } from '../messaging/templates.js';
import type { Channel } from '../messaging/transports.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { IssuedSession, SessionIssuer, SessionKind } from '../sessions/issuer.js';
import type { VerificationService } from '../verification/service.js';
import type { AccountLockLinks } from '../two-step/lock-links.js';
import { normalizeEmail, normalizePhone, type Login } from './addresses.js';
import type { AccountRepository } from './repository.js';
import { UNDO_DAYS, type AddressChangeUndoLinks } from './undo-links.js';

export interface Profile {
  id: string;
  email: string | null;
  phone: string | null;
  name: string | null;
  locale: string;
  role: AccountRow['role'];
  createdAt: string;
}

/** An address given as exactly one of email or phone. */
export type AddressInput = { email?: string | undefined; phone?: string | undefined };

interface Address {
  field: 'email' | 'phone';
  channel: Channel;
  value: string;
}

/** Whether a login given as an account id is worth looking up: ids are 1 to 64 printable characters. */
const couldBeAccountId = (value: string) => /^[^\x00-\x1f\x7f]{1,64}$/.test(value);

/** Accounts: sign-up with a code, the profile, address and password changes. */
export class AccountService {
  private readonly db: Db;
  private readonly repository: AccountRepository;
  private readonly sessions: SessionEnding;
  private readonly issuer: SessionIssuer;
  private readonly verification: VerificationService;
  private readonly messages: MessageService;
  private readonly events: SecurityEventService;
  private readonly rateLimits: RateLimits;
  private readonly lookupKey: Buffer;
  private readonly clock: Clock;
  private readonly undoLinks: AddressChangeUndoLinks;
  private readonly lockLinks: AccountLockLinks;

  constructor(deps: {
    db: Db;
    repository: AccountRepository;
    sessions: SessionEnding;
    issuer: SessionIssuer;
    verification: VerificationService;
    messages: MessageService;
    events: SecurityEventService;
    rateLimits: RateLimits;
    lookupKey: Buffer;
    clock: Clock;
    undoLinks: AddressChangeUndoLinks;
    lockLinks: AccountLockLinks;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.sessions = deps.sessions;
    this.issuer = deps.issuer;
    this.verification = deps.verification;
    this.messages = deps.messages;
    this.events = deps.events;
    this.rateLimits = deps.rateLimits;
    this.lookupKey = deps.lookupKey;
    this.clock = deps.clock;
    this.undoLinks = deps.undoLinks;
    this.lockLinks = deps.lockLinks;
  }

  /** The blind index of an address: lookups never need the address in clear. */
  lookupOf(field: 'email' | 'phone', value: string): string {
    return hmac(this.lookupKey, field, value);
  }

  private addressOf(input: AddressInput): Address {
    if ((input.email === undefined) === (input.phone === undefined)) {
      throw new AppError('validation_failed', 'Give either email or phone, not both', {
        errors: [{ path: 'body', message: 'must have exactly one of email or phone' }],
      });
    }
    if (input.email !== undefined) return { field: 'email', channel: 'email', value: normalizeEmail(input.email) };
    return { field: 'phone', channel: 'sms', value: normalizePhone(input.phone!) };
  }

  private async getByAddress(
    address: Pick<Address, 'field' | 'value'>,
    executor: Executor = this.db,
  ): Promise<AccountRow | undefined> {
    const lookup = this.lookupOf(address.field, address.value);
    return address.field === 'email'
      ? this.repository.getByEmailLookup(lookup, executor)
      : this.repository.getByPhoneLookup(lookup, executor);
  }

  /** Finds the account a login names, whatever its form. */
  async findByLogin(login: Login): Promise<AccountRow | undefined> {
    if (login.kind === 'id') return couldBeAccountId(login.value) ? this.repository.get(login.value) : undefined;
    return this.getByAddress({ field: login.kind, value: login.value });
  }

  /** findByLogin for a sign-in: also whether the account has signed in from this client (its keyed hash) before. */
  async findForSignIn(
    login: Login,
    clientLookup: string,
  ): Promise<{ account: AccountRow; knownClient: boolean } | undefined> {
    if (login.kind === 'id') {
      return couldBeAccountId(login.value)
        ? this.repository.getForSignIn({ column: 'id', value: login.value }, clientLookup)
        : undefined;
    }
    return this.repository.getForSignIn(
      { column: `${login.kind}_lookup`, value: this.lookupOf(login.kind, login.value) },
      clientLookup,
    );
  }

  profileOf(account: AccountRow): Profile {
    return {
      id: account.id,
      email: account.email,
      phone: account.phone,
      name: account.name,
      locale: account.locale,
      role: account.role,
      createdAt: iso(account.created_at),
    };
  }

  /** Every address of the account, each with its channel, for notices that go everywhere. */
  contactsOf(account: Pick<AccountRow, 'email' | 'phone'>): { channel: Channel; to: string }[] {
    const contacts: { channel: Channel; to: string }[] = [];
    if (account.email) contacts.push({ channel: 'email', to: account.email });
    if (account.phone) contacts.push({ channel: 'sms', to: account.phone });
    return contacts;
  }

  /**
   * Tells every address of the account (its email and its phone) the same notice, in the caller's
   * transaction: a security change reaches the person wherever they read, and an attacker who took one
   * address cannot hide it from the other. `accountId: null` keeps the messages apart from the account
   * (a deletion notice must outlive the erasure of its jobs).
   */
  async tellEveryAddress<K extends MessageKind>(
    executor: Executor,
    account: Pick<AccountRow, 'id' | 'email' | 'phone' | 'locale'>,
    message: { kind: K; params: MessageParams[K]; accountId?: string | null },
  ): Promise<void> {
    for (const to of this.contactsOf(account)) {
      await this.messages.enqueue(executor, {
        ...to,
        kind: message.kind,
        locale: account.locale,
        accountId: message.accountId === undefined ? account.id : message.accountId,
        params: message.params,
      });
    }
  }

  async getProfile(accountId: string): Promise<Profile> {
    return this.profileOf(await this.getOrThrow(accountId));
  }

  /** The profile from the account row that authentication read along with the session (still sealed). */
  async profileFromStored(account: AuthAccount): Promise<Profile> {
    const opened = await this.repository.sealer.openFields(account);
    return {
      id: account.id,
      email: opened.email,
      phone: opened.phone,
      name: opened.name,
      locale: account.locale,
      role: account.role,
      createdAt: iso(account.created_at),
    };
  }

  private async getOrThrow(accountId: string, executor: Executor = this.db): Promise<AccountRow> {
    const account = await this.repository.get(accountId, executor);
    if (!account || account.status !== 'active') throw new AppError('unauthenticated');
    return account;
  }

  /**
   * Starts sign-up: a code goes to the address. When the address already has an account, its owner is
   * told instead, and the caller sees the same answer either way (no enumeration).
   */
  async requestSignup(input: AddressInput, locale: string, origin: RequestOrigin): Promise<void> {
    const address = this.addressOf(input);
    await this.rateLimits.consumeCodeSend(address.value, origin.ip);
    await this.db.transaction().execute(async (trx) => {
      const existing = await this.getByAddress(address, trx);
      if (existing) {
        await this.messages.enqueue(trx, {
          channel: address.channel,
          to: address.value,
          kind: 'signup_already_registered',
          locale: existing.locale,
          params: {},
          accountId: existing.id,
        });
        return;
      }
      const issued = await this.verification.issue(trx, {
        purpose: 'signup',
        subject: `${address.field}:${address.value}`,
        channel: address.channel,
      });
      await this.messages.enqueue(trx, {
        channel: address.channel,
        to: address.value,
        kind: 'signup_code',
        locale,
        params: { code: issued.code, minutes: issued.lifetimeMinutes },
      });
    });
  }

  /** Completes sign-up: the code proves the address; the account and its first session are created together. */
  async completeSignup(
    input: AddressInput & { code: string; password: string; name?: string | undefined },
    kind: SessionKind,
    locale: string,
    origin: RequestOrigin,
  ): Promise<{ account: Profile; session: IssuedSession }> {
    const address = this.addressOf(input);
    const problem = passwordProblem(input.password);
    if (problem) throw invalidField('password', problem);
    const name = this.cleanName(input.name);
    const subject = `${address.field}:${address.value}`;
    // A taken address never gets a sign-up code (its owner is told instead): its refusal must read like
    // any wrong code's, or this route would tell which addresses have accounts.
    const code = await this.verification.checkAnonymous('signup', subject, input.code);
    const passwordHash = await hashPassword(input.password);
    const now = this.clock.now();
    const id = uuidv7();
    return this.db.transaction().execute(async (trx) => {
      await this.verification.consume(trx, code);
      // The code proved the address was free when it was sent; someone may have taken it since.
      if (await this.getByAddress(address, trx))
        throw new AppError('account.address_taken', 'This address already has an account; sign in instead');
      await this.repository.create(trx, {
        id,
        status: 'active',
        email: address.field === 'email' ? address.value : null,
        email_lookup: address.field === 'email' ? this.lookupOf('email', address.value) : null,
        phone: address.field === 'phone' ? address.value : null,
        phone_lookup: address.field === 'phone' ? this.lookupOf('phone', address.value) : null,
        name,
        password_hash: passwordHash,
        role: 'user',
        locale,
        created_at: now,
        updated_at: now,
        password_changed_at: now,
      });
      const session = await this.issuer.create(trx, id, kind, origin);
      await this.events.record(trx, id, 'account.created', origin);
      await this.events.record(trx, id, 'session.created', origin);
      await this.events.rememberClient(trx, id, origin.client);
      return { account: this.profileOf((await this.repository.get(id, trx))!), session };
    });
  }

  private cleanName(name: string | undefined): string | null {
    if (name === undefined) return null;
    const trimmed = name.normalize('NFC').trim();
    // Control characters in a name end up in messages and logs; refuse them.
    if (/\p{Cc}/u.test(trimmed)) throw invalidField('name', 'must not contain control characters');
    return trimmed === '' ? null : trimmed;
  }

  async updateProfile(
    accountId: string,
    patch: { name?: string | null | undefined },
    origin: RequestOrigin,
  ): Promise<Profile> {
    return this.db.transaction().execute(async (trx) => {
      await this.getOrThrow(accountId, trx);
      if (patch.name !== undefined) {
        await this.repository.update(trx, accountId, {
          name: patch.name === null ? null : this.cleanName(patch.name),
          updated_at: this.clock.now(),
        });
        await this.events.record(trx, accountId, 'name.changed', origin);
      }
      return this.profileOf(await this.getOrThrow(accountId, trx));
    });
  }

  /** Sends a code to a new email or phone; the change happens when the code comes back. */
  async requestAddressChange(accountId: string, input: AddressInput, origin: RequestOrigin): Promise<void> {
    const address = this.addressOf(input);
    const account = await this.getOrThrow(accountId);
    if (account[address.field] === address.value)
      throw new AppError(
        'account.address_unchanged',
        `That is already your ${address.field === 'email' ? 'email address' : 'phone number'}`,
      );
    await this.rateLimits.consumeCodeSend(address.value, origin.ip);
    await this.db.transaction().execute(async (trx) => {
      const issued = await this.verification.issue(trx, {
        purpose: address.field === 'email' ? 'email_change' : 'phone_change',
        subject: `${accountId}:${address.value}`,
        channel: address.channel,
        accountId,
      });
      await this.messages.enqueue(trx, {
        channel: address.channel,
        to: address.value,
        kind: 'address_change_code',
        locale: account.locale,
        accountId,
        params: { code: issued.code, minutes: issued.lifetimeMinutes, field: address.field },
      });
    });
  }

  /** Confirms a new address with its code; the old address (if any) is told. */
  async confirmAddressChange(
    accountId: string,
    input: AddressInput & { code: string },
    origin: RequestOrigin,
  ): Promise<Profile> {
    const address = this.addressOf(input);
    const code = await this.verification.check(
      address.field === 'email' ? 'email_change' : 'phone_change',
      `${accountId}:${address.value}`,
      input.code,
    );
    return this.db.transaction().execute(async (trx) => {
      const account = await this.getOrThrow(accountId, trx);
      await this.verification.consume(trx, code);
      const holder = await this.getByAddress(address, trx);
      if (holder && holder.id !== accountId)
        throw new AppError('account.address_taken', 'Another account uses this address');
      const old = account[address.field];
      await this.repository.update(trx, accountId, {
        [address.field]: address.value,
        [`${address.field}_lookup`]: this.lookupOf(address.field, address.value),
        updated_at: this.clock.now(),
      });
      await this.events.record(trx, accountId, address.field === 'email' ? 'email.changed' : 'phone.changed', origin);
      if (old) {
        await this.messages.enqueue(trx, {
          channel: address.field === 'email' ? 'email' : 'sms',
          to: old,
          kind: 'address_changed_undo',
          locale: account.locale,
          accountId,
          params: {
            field: address.field,
            newAddress: address.value,
            undoUrl: this.undoLinks.linkFor({
              accountId,
              field: address.field,
              oldAddress: old,
              newAddress: address.value,
            }),
            days: UNDO_DAYS,
            lockUrl: await this.lockLinks.create(trx, accountId),
          },
        });
      }
      return this.profileOf(await this.getOrThrow(accountId, trx));
    });
  }

  /**
   * The old address takes a change back (the link of its notice): the old address returns and every web
   * and API session ends, the taker's included, as after a password recovery; devices stay linked (their
   * tokens do device work only). Only while the account still has the address the link names: a link
   * used once, or overtaken by a later change, does nothing.
   */
  async undoAddressChange(token: string, origin: RequestOrigin): Promise<{ field: 'email' | 'phone' }> {
    const change = this.undoLinks.open(token);
    await this.db.transaction().execute(async (trx) => {
      const account = await this.repository.get(change.accountId, trx);
      if (!account || account.status !== 'active' || account[change.field] !== change.newAddress) {
        throw new AppError('conflict', 'This change was already undone, or the address has changed since');
      }
      const holder = await this.getByAddress({ field: change.field, value: change.oldAddress }, trx);
      if (holder && holder.id !== account.id)
        throw new AppError('conflict', 'Another account uses the old address now');
      await this.repository.update(trx, account.id, {
        [change.field]: change.oldAddress,
        [`${change.field}_lookup`]: this.lookupOf(change.field, change.oldAddress),
        updated_at: this.clock.now(),
      });
      await this.sessions.endSignIns(trx, account.id);
      await this.events.record(trx, account.id, 'address_change.undone', origin);
    });
    return { field: change.field };
  }

  /**
   * Checks the password of a signed-in account (re-authentication, password change, sign-out on a
   * device) under the same per-login and per-IP limits as sign-in; a wrong one throws invalid_credentials.
   */
  async checkPassword(accountId: string, password: string, ip: string, wrongDetail: string): Promise<AccountRow> {
    const loginKey = `id:${accountId}`;
    await this.rateLimits.checkPasswordAttempt(loginKey, ip);
    const account = await this.getOrThrow(accountId);
    if (!(await verifyPassword(account.password_hash, password))) {
      await this.rateLimits.recordPasswordFailure(loginKey, ip);
      throw new AppError('invalid_credentials', wrongDetail);
    }
    await this.rateLimits.recordPasswordSuccess(loginKey, ip);
    return account;
  }

  /** Changes the password; the caller's session stays, every other web and API session ends. */
  async changePassword(
    accountId: string,
    keepSessionId: string,
    input: { currentPassword: string; newPassword: string },
    origin: RequestOrigin,
  ): Promise<void> {
    const account = await this.checkPassword(
      accountId,
      input.currentPassword,
      origin.ip,
      'The current password is wrong',
    );
    const problem = passwordProblem(input.newPassword);
    if (problem) throw invalidField('newPassword', problem);
    const passwordHash = await hashPassword(input.newPassword);
    await this.db.transaction().execute(async (trx) => {
      await this.setPasswordHash(trx, accountId, passwordHash, this.clock.now());
      await this.sessions.endSignIns(trx, accountId, keepSessionId);
      await this.events.record(trx, accountId, 'password.changed', origin);
      await this.tellEveryAddress(trx, account, { kind: 'password_changed', params: {} });
    });
  }

  /**
   * Puts a new password in place, in the caller's transaction (a change, a recovery). password_changed_at
   * also arms the devices' trip-wire: a locked device reset now cannot be set up again for 24 hours.
   */
  async setPasswordHash(trx: Executor, accountId: string, passwordHash: string, now: number): Promise<void> {
    await this.repository.update(trx, accountId, {
      password_hash: passwordHash,
      password_changed_at: now,
      updated_at: now,
    });
  }

  /** The account as stored, whatever its status (staff views); undefined if there is none. */
  async get(accountId: string, executor?: Executor): Promise<AccountRow | undefined> {
    return this.repository.get(accountId, executor);
  }

  /**
   * The deletion's moves of an account between states, in the caller's transaction: `active` →
   * `deletion_scheduled` (a grace period) or `erasing`, and back to `active` when a scheduled deletion is
   * cancelled. Entering `erasing` frees the email and phone at once (their blind indexes are cleared), so
   * that they can sign up again. False when the account was in none of the `from` states.
   */
  async moveForDeletion(
    executor: Executor,
    accountId: string,
    from: readonly AccountRow['status'][],
    to: 'active' | 'deletion_scheduled' | 'erasing',
    now: number,
  ): Promise<boolean> {
    return this.repository.setStatus(executor, accountId, from, to, now);
  }

  /** The erasure's `account` step: deletes the accounts row itself, once every other row of it is gone. */
  async deleteErased(accountId: string): Promise<void> {
    await this.repository.delete(accountId);
  }

  /** A page of account ids in id order (tombstones are matched against every account, a page at a time). */
  async listIds(after: string | undefined, limit: number): Promise<Array<{ id: string; status: string }>> {
    return this.repository.listIds(after, limit);
  }

  /** Every staff account, oldest first. */
  async listStaff(): Promise<AccountRow[]> {
    return this.repository.listStaff();
  }

  /** Changes an account's staff role (staff management by an admin), in the caller's transaction. */
  async setRole(executor: Executor, accountId: string, role: AccountRow['role']): Promise<void> {
    await this.repository.update(executor, accountId, { role, updated_at: this.clock.now() });
  }

  /** Creates a staff account (`lanyard admin create`), or promotes the account that has the email. */
  async createStaff(input: {
    email: string;
    password: string;
    role: 'admin' | 'support';
  }): Promise<{ id: string; created: boolean }> {
    const email = normalizeEmail(input.email);
    const problem = passwordProblem(input.password);
    if (problem) throw invalidField('password', problem);
    const passwordHash = await hashPassword(input.password);
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const existing = await this.getByAddress({ field: 'email', value: email }, trx);
      if (existing) {
        await this.repository.update(trx, existing.id, {
          role: input.role,
          password_hash: passwordHash,
          password_changed_at: now,
          updated_at: now,
        });
        // A new password ends the sessions opened with the old one, as a password change does.
        await this.sessions.endSignIns(trx, existing.id);
        return { id: existing.id, created: false };
      }
      const id = uuidv7();
      await this.repository.create(trx, {
        id,
        status: 'active',
        email,
        email_lookup: this.lookupOf('email', email),
        phone: null,
        phone_lookup: null,
        name: null,
        password_hash: passwordHash,
        role: input.role,
        locale: 'en',
        created_at: now,
        updated_at: now,
        password_changed_at: now,
      });
      return { id, created: true };
    });
  }
}
