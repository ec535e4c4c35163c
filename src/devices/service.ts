import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { Db, DeviceRow, Executor } from '../db/schema.js';
import { hmac } from '../crypto/tokens.js';
import type { RateLimits } from '../abuse/rate-limits.js';
import { maskEmail, maskPhone } from '../accounts/addresses.js';
import type { AccountService } from '../accounts/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import type { AuthContext } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import type { MessageService } from '../messaging/service.js';
import type { SessionIssuer } from '../sessions/issuer.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { DeviceRepository } from './repository.js';

/** How far back a Find Device lock puts the device in lost mode: bootloader unlock and staff's four eyes. */
export const LOST_MODE_MS = 30 * 24 * 60 * 60 * 1000;

/** After a password change, a device locked before it cannot be set up again with the account for this long. */
export const ACTIVATION_DELAY_MS = 24 * 60 * 60 * 1000;
// last_seen_at is written at most this often, like a session's last_used_at, so that polls stay reads.
const SEEN_INTERVAL_MS = 60_000;

export type DeviceKind = DeviceRow['kind'];

export interface DeviceView {
  id: string;
  name: string;
  model: string;
  kind: DeviceKind;
  serialHint: string;
  linkedAt: string;
  lastSeenAt: string;
  locked: boolean;
  tokenActive: boolean;
}

export interface LinkInput {
  serial: string;
  model: string;
  name: string;
  kind: DeviceKind;
  imei?: string | undefined;
}

/** What reaches a device's push channel: a new command, or the end of the device's token. */
export type DeviceSignal = { type: 'command'; commandId: string } | { type: 'ended' };

/**
 * How signals cross to the other server processes (Redis pub/sub or PostgreSQL LISTEN/NOTIFY, wired in
 * src/app.ts): a device may hold its stream open on another process than the one its owner's request reached.
 */
export interface SignalRelay {
  /** Sends a message to every process, this one included; failures are the relay's to log. */
  publish(message: string): void;
  /** Starts delivering every process's messages to the listener (called once, when a stream first opens here). */
  subscribe(listener: (message: string) => void): void;
}

/**
 * Signals to the devices connected to this process, and through the relay to those connected to the
 * others. A signal reaches this process's streams at once, without waiting for the relay, which then
 * skips the copy that comes back. Delivery through the relay is at most once: a device that missed a
 * signal still finds its commands when it reconnects or polls.
 */
export class DeviceSignals {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly origin = randomUUID();
  private relayed = false;

  constructor(private readonly relay?: SignalRelay) {}

  emit(accountId: string, deviceId: string, signal: DeviceSignal): void {
    this.emitter.emit(`${accountId}/${deviceId}`, signal);
    this.relay?.publish(JSON.stringify({ origin: this.origin, accountId, deviceId, signal }));
  }

  subscribe(accountId: string, deviceId: string, listener: (signal: DeviceSignal) => void): () => void {
    if (this.relay && !this.relayed) {
      this.relayed = true;
      this.relay.subscribe((message) => this.receive(message));
    }
    const key = `${accountId}/${deviceId}`;
    this.emitter.on(key, listener);
    return () => this.emitter.off(key, listener);
  }

  private receive(message: string): void {
    let parsed: {
      origin?: unknown;
      accountId?: unknown;
      deviceId?: unknown;
      signal?: { type?: unknown; commandId?: unknown };
    };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    const { origin, accountId, deviceId, signal } = parsed;
    if (origin === this.origin || typeof accountId !== 'string' || typeof deviceId !== 'string') return;
    // Only the two shapes a device may get: the stream looks a command up by id, for that device alone.
    if (signal?.type === 'ended') this.emitter.emit(`${accountId}/${deviceId}`, { type: 'ended' });
    else if (signal?.type === 'command' && typeof signal.commandId === 'string')
      this.emitter.emit(`${accountId}/${deviceId}`, { type: 'command', commandId: signal.commandId });
  }
}

/** Model, name and messages end up in mail subjects and on screens: control characters are refused. */
export function refuseControlCharacters(field: string, value: string | undefined): void {
  if (value !== undefined && /\p{Cc}/u.test(value))
    throw invalidField(`body.${field}`, 'must not contain control characters');
}

function cleanLabel(field: string, value: string): string {
  refuseControlCharacters(field, value);
  const trimmed = value.normalize('NFC').trim();
  if (trimmed === '') throw invalidField(`body.${field}`, 'must not be blank');
  return trimmed;
}

/** Devices: linking with a device token, device locks, removal, sign-out on the device, activation checks. */
export class DeviceService {
  private readonly db: Db;
  private readonly repository: DeviceRepository;
  private readonly accountService: AccountService;
  private readonly sessions: SessionEnding;
  private readonly issuer: SessionIssuer;
  private readonly events: SecurityEventService;
  private readonly messages: MessageService;
  private readonly rateLimits: RateLimits;
  readonly signals: DeviceSignals;
  private readonly lookupKey: Buffer;
  private readonly clock: Clock;

  constructor(deps: {
    db: Db;
    repository: DeviceRepository;
    accountService: AccountService;
    sessions: SessionEnding;
    issuer: SessionIssuer;
    events: SecurityEventService;
    messages: MessageService;
    rateLimits: RateLimits;
    signals: DeviceSignals;
    lookupKey: Buffer;
    clock: Clock;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.accountService = deps.accountService;
    this.sessions = deps.sessions;
    this.issuer = deps.issuer;
    this.events = deps.events;
    this.messages = deps.messages;
    this.rateLimits = deps.rateLimits;
    this.signals = deps.signals;
    this.lookupKey = deps.lookupKey;
    this.clock = deps.clock;
  }

  /** Serials are compared without regard to case or surrounding spaces. */
  private serialLookup(serial: string): string {
    return hmac(this.lookupKey, 'serial', serial.trim().toUpperCase());
  }

  private imeiLookup(imei: string): string {
    return hmac(this.lookupKey, 'imei', imei.trim());
  }

  /** The lock lookups a serial typed by someone may match: the serial, and the IMEI when it looks like one. */
  lookupsOf(serial: string): string[] {
    return [this.serialLookup(serial), ...(/^[0-9]{15}$/.test(serial.trim()) ? [this.imeiLookup(serial)] : [])];
  }

  /** The device a device token belongs to (the route's guard let in device tokens only); marks it seen. */
  async requireDevice(auth: AuthContext): Promise<DeviceRow> {
    const device = await this.repository.getBySession(auth.accountId, auth.sessionId);
    if (!device) throw new AppError('unauthenticated', 'This device is no longer linked; link it again');
    const now = this.clock.now();
    if (now - device.last_seen_at >= SEEN_INTERVAL_MS) {
      await this.repository.update(this.db, device.account_id, device.id, { last_seen_at: now });
      device.last_seen_at = now;
    }
    return device;
  }

  /** An owner's device, or 404: another account's device id is simply not found. */
  async requireOwned(auth: AuthContext, id: string): Promise<DeviceRow> {
    const device = await this.repository.get(auth.accountId, id);
    if (!device) throw new AppError('not_found', 'No such device');
    return device;
  }

  private async activeAccount(accountId: string, executor: Executor = this.db) {
    const account = await this.accountService.get(accountId, executor);
    if (!account || account.status !== 'active') throw new AppError('unauthenticated');
    return account;
  }

  /**
   * Links a device to the caller's account and locks it there; returns the device token (shown once).
   *
   * Linking a serial that is already locked to this account means the device was set up again: a device
   * that kept its token never needs to link again, it calls with its token. Whether the old token is
   * still valid on the server says nothing (a factory reset forgets it on the device only), so every
   * re-link of a locked serial counts. Such a re-link is the trip-wire: within 24 hours of a password
   * change, a device locked before that change is refused (`activation_delayed`), so that a thief who
   * took over the password cannot reset the phone and make it theirs while the owner is still unaware.
   * A re-link keeps the device's id and lock, and replaces its token.
   */
  async link(
    auth: AuthContext,
    raw: LinkInput,
    origin: RequestOrigin,
  ): Promise<{ device: DeviceView; deviceToken: string }> {
    const input = { ...raw, model: cleanLabel('model', raw.model), name: cleanLabel('name', raw.name) };
    const serialLookup = this.serialLookup(input.serial);
    const imeiLookup = input.imei ? this.imeiLookup(input.imei) : undefined;
    const serialHint = input.serial.trim().toUpperCase().slice(-4);
    const linked = await this.db.transaction().execute(async (trx) => {
      const account = await this.activeAccount(auth.accountId, trx);
      const now = this.clock.now();
      const serialLock = await this.repository.getLock(serialLookup, trx);
      const imeiLock = imeiLookup ? await this.repository.getLock(imeiLookup, trx) : undefined;
      for (const lock of [serialLock, imeiLock]) {
        if (lock && lock.account_id !== auth.accountId) {
          throw new AppError(
            'device.locked_to_other_account',
            'This device is locked to another account. Its owner must remove it from their account first.',
          );
        }
      }
      refuseWithinTripWire(serialLock, account.password_changed_at, now, 'set up again');

      const existing = await this.repository.getBySerial(trx, auth.accountId, serialLookup);
      const deviceId = existing?.id ?? uuidv7();
      // Locks first: the lock's primary key is what serializes two requests linking one serial at once.
      // The loser waits for the winner's commit, inserts nothing, and sees the winner as the holder.
      const locks = [
        { lookup: serialLookup, kind: 'serial' as const },
        ...(imeiLookup ? [{ lookup: imeiLookup, kind: 'imei' as const }] : []),
      ];
      for (const { lookup, kind } of locks) {
        const holder = await this.repository.takeLock(trx, {
          lookup,
          kind,
          account_id: auth.accountId,
          device_id: deviceId,
          locked_at: now,
        });
        if (holder.account_id !== auth.accountId)
          throw new AppError(
            'device.locked_to_other_account',
            'This device is locked to another account. Its owner must remove it from their account first.',
          );
        if (holder.device_id !== deviceId) {
          throw kind === 'imei'
            ? new AppError('device.imei_in_use', 'This IMEI belongs to another of your devices; remove that one first')
            : new AppError('device.link_in_progress', 'This device is being linked by another request; try again');
        }
      }
      const issued = await this.issuer.create(trx, auth.accountId, 'device', origin);
      const fields = {
        model: input.model,
        name: input.name,
        kind: input.kind,
        serial_hint: serialHint,
        session_id: issued.id,
        last_seen_at: now,
      };
      if (existing) {
        if (existing.session_id) await this.sessions.endOne(trx, auth.accountId, existing.session_id);
        await this.repository.update(trx, auth.accountId, existing.id, fields);
      } else {
        await this.repository.create(trx, {
          account_id: auth.accountId,
          id: deviceId,
          serial_lookup: serialLookup,
          linked_at: now,
          last_location: null,
          ...fields,
        });
      }

      await this.events.record(trx, auth.accountId, 'device.linked', origin);
      await this.accountService.tellEveryAddress(trx, account, {
        kind: 'device_linked',
        params: { model: input.model, name: input.name, at: new Date(now).toUTCString() },
      });
      const device = (await this.repository.get(auth.accountId, deviceId, trx))!;
      return { device: this.view(device, true), deviceToken: issued.token, replaced: existing !== undefined };
    });
    // A stream still open with the replaced token must stop receiving this device's commands.
    if (linked.replaced) this.signals.emit(auth.accountId, linked.device.id, { type: 'ended' });
    return { device: linked.device, deviceToken: linked.deviceToken };
  }

  async list(auth: AuthContext): Promise<Array<DeviceView & { unreadable?: true }>> {
    return this.listOf(auth.accountId);
  }

  /** An account's devices, for its owner or for staff. */
  async listOf(accountId: string): Promise<Array<DeviceView & { unreadable?: true }>> {
    const rows = await this.repository.list(accountId);
    return rows.map((row) => ({
      ...this.view(row, row.locked),
      ...(row.unreadable ? { unreadable: row.unreadable } : {}),
    }));
  }

  /** Every device of an account as its owner sees it, for the features that act on the account (deletion). */
  async viewsOf(accountId: string): Promise<DeviceView[]> {
    const rows = await this.repository.list(accountId);
    return rows.map((row) => this.view(row, row.locked));
  }

  /** One device with its last known location. */
  async get(auth: AuthContext, id: string) {
    const device = await this.requireOwned(auth, id);
    return this.detail(device);
  }

  /** The device's own view, for the device itself (its token). */
  async self(auth: AuthContext) {
    return this.detail(await this.requireDevice(auth));
  }

  private async detail(device: DeviceRow) {
    const lock = await this.repository.getLock(device.serial_lookup);
    const location = device.last_location
      ? (JSON.parse(device.last_location) as { lat: number; lon: number; accuracy: number; at: number })
      : null;
    return {
      ...this.view(device, lock?.account_id === device.account_id),
      lastLocation: location
        ? { lat: location.lat, lon: location.lon, accuracy: location.accuracy, at: iso(location.at) }
        : null,
    };
  }

  view(row: DeviceRow, locked: boolean): DeviceView {
    return {
      id: row.id,
      name: row.name,
      model: row.model,
      kind: row.kind,
      serialHint: row.serial_hint,
      linkedAt: iso(row.linked_at),
      lastSeenAt: iso(row.last_seen_at),
      locked,
      tokenActive: row.session_id !== null,
    };
  }

  /** Unlinks a device remotely (the route demands a fresh session): its token ends, its lock is released. */
  async remove(auth: AuthContext, id: string, origin: RequestOrigin): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const device = await this.repository.get(auth.accountId, id, trx);
      if (!device) throw new AppError('not_found', 'No such device');
      await this.unlink(trx, device, origin);
    });
    this.signals.emit(auth.accountId, id, { type: 'ended' });
  }

  /** Signs out on the device itself: the same as a removal, but only with the account password. */
  async signOut(auth: AuthContext, password: string, origin: RequestOrigin): Promise<void> {
    const device = await this.requireDevice(auth);
    await this.accountService.checkPassword(
      auth.accountId,
      password,
      origin.ip,
      'The password is wrong; the device stays linked',
    );
    await this.db.transaction().execute(async (trx) => {
      await this.unlink(trx, device, origin);
    });
    this.signals.emit(auth.accountId, device.id, { type: 'ended' });
  }

  private async unlink(trx: Executor, device: DeviceRow, origin: RequestOrigin): Promise<void> {
    // The same trip-wire guards the lock's release: a thief who changed the password must not free the
    // phone by removing it or signing out on it, any more than by resetting it.
    const account = await this.activeAccount(device.account_id, trx);
    const lock = await this.repository.getLock(device.serial_lookup, trx);
    refuseWithinTripWire(
      lock?.account_id === device.account_id ? lock : undefined,
      account.password_changed_at,
      this.clock.now(),
      'released',
    );
    await this.repository.deleteLocks(trx, device.account_id, device.id);
    await this.dropDevice(trx, device, 'device.removed', origin);
  }

  /** A device leaves its account: its token ends, its row and commands go, and the owner's events say why. */
  private async dropDevice(
    trx: Executor,
    device: DeviceRow,
    event: 'device.removed' | 'device.released_by_unlock_request',
    origin: RequestOrigin,
  ): Promise<void> {
    if (device.session_id) await this.sessions.endOne(trx, device.account_id, device.session_id);
    await this.repository.delete(trx, device.account_id, device.id);
    await this.events.record(trx, device.account_id, event, origin);
  }

  /**
   * Releases the locks that an approved unlock request names, as they were when staff approved it: a
   * lock taken after the approval (the device removed, then set up by anyone) stays. Where the owner still has
   * an account, the device leaves it too: its token ends and the owner's events say why. Returns the
   * devices unlinked, to be told once the transaction has committed.
   */
  async releaseForUnlockRequest(
    trx: Executor,
    lookups: string[],
    approvedAt: number,
    origin: RequestOrigin,
  ): Promise<{ releasedLocks: number; unlinked: Array<{ accountId: string; deviceId: string }> }> {
    const released = await this.repository.deleteLocksTakenBy(trx, lookups, approvedAt);
    const unlinked: Array<{ accountId: string; deviceId: string }> = [];
    const seen = new Set<string>();
    for (const lock of released) {
      const key = `${lock.account_id}/${lock.device_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const device = await this.repository.get(lock.account_id, lock.device_id, trx);
      if (!device) continue;
      await this.dropDevice(trx, device, 'device.released_by_unlock_request', origin);
      unlinked.push({ accountId: device.account_id, deviceId: device.id });
    }
    return { releasedLocks: released.length, unlinked };
  }

  /** Whether a device locked under these lookups is in lost mode (see LOST_MODE_MS). */
  async lockedDeviceInLostMode(lookups: string[], now: number, executor: Executor = this.db): Promise<boolean> {
    for (const lock of await this.repository.getLocks(lookups, executor))
      if (await this.inLostMode(lock.account_id, lock.device_id, now, executor)) return true;
    return false;
  }

  /** Whether the owner put this device in lost mode (see LOST_MODE_MS). */
  async inLostMode(accountId: string, deviceId: string, now: number, executor: Executor = this.db): Promise<boolean> {
    return this.repository.inLostMode(executor, accountId, deviceId, now - LOST_MODE_MS);
  }

  /** Staff search: the accounts a serial or IMEI names, by a linked device or a lock held. */
  /** Releases every device lock of the account, in the caller's transaction (its deletion); returns how many. */
  releaseLocksOf(trx: Executor, accountId: string): Promise<number> {
    return this.repository.releaseLocksOf(trx, accountId);
  }

  /** How many device locks the account holds (those its deletion keeps). */
  countLocksOf(trx: Executor, accountId: string): Promise<number> {
    return this.repository.countLocksOf(trx, accountId);
  }

  async accountsOfSerial(serial: string): Promise<Array<{ accountId: string; by: 'serial' | 'imei' }>> {
    const [serialLookup, imeiLookup] = this.lookupsOf(serial);
    const found = new Map<string, 'serial' | 'imei'>();
    for (const accountId of await this.repository.accountsWithSerial([serialLookup!])) found.set(accountId, 'serial');
    for (const lock of await this.repository.getLocks(this.lookupsOf(serial)))
      if (!found.has(lock.account_id)) found.set(lock.account_id, lock.lookup === imeiLookup ? 'imei' : 'serial');
    return [...found].map(([accountId, by]) => ({ accountId, by }));
  }

  /** The lock lookups an account holds (its serials and IMEIs), to find unlock requests about its devices. */
  async lockLookupsOf(accountId: string): Promise<string[]> {
    return (await this.repository.locksOf(accountId)).map((lock) => lock.lookup);
  }

  /** The accounts that hold a lock on any of these lookups now (a lock kept past deletion names a deleted one). */
  async lockHolders(lookups: string[], executor: Executor = this.db): Promise<Array<{ accountId: string }>> {
    const locks = await this.repository.getLocks(lookups, executor);
    return locks.map((lock) => ({ accountId: lock.account_id }));
  }

  /**
   * What anyone may learn about a serial (or IMEI): whether it is locked, and a masked hint of the owner
   * that the owner recognises and a stranger cannot use. Rate-limited per IP so that it is no oracle.
   */
  async activation(serial: string, ip: string): Promise<{ locked: boolean; ownerHint?: string | null }> {
    await this.rateLimits.consumeActivationCheck(ip);
    const [lock] = await this.repository.getLocks(this.lookupsOf(serial));
    if (!lock) return { locked: false };
    const owner = await this.accountService.get(lock.account_id);
    // A lock kept past its account's deletion has no owner left to hint at: only an unlock request releases it.
    if (!owner || owner.status !== 'active') return { locked: true, ownerHint: null };
    const ownerHint = owner?.email ? maskEmail(owner.email) : owner?.phone ? maskPhone(owner.phone) : undefined;
    return ownerHint ? { locked: true, ownerHint } : { locked: true };
  }
}

/**
 * Within 24 hours of a password change, a lock taken before that change may be neither re-taken by a
 * reset device nor released (`activation_delayed`, with the time it becomes possible).
 */
function refuseWithinTripWire(
  lock: { locked_at: number } | undefined,
  passwordChangedAt: number,
  now: number,
  action: 'set up again' | 'released',
): void {
  if (!lock || lock.locked_at >= passwordChangedAt || now >= passwordChangedAt + ACTIVATION_DELAY_MS) return;
  const availableAt = iso(passwordChangedAt + ACTIVATION_DELAY_MS);
  const what = action === 'set up again' ? 'This device was set up again' : "This device's lock cannot be released";
  throw new AppError(
    'activation_delayed',
    `${what} soon after the account's password changed. To protect a device that may have been stolen, this is possible from ${availableAt}, 24 hours after the change.`,
    { availableAt, retryAfterSeconds: Math.ceil((passwordChangedAt + ACTIVATION_DELAY_MS - now) / 1000) },
  );
}
