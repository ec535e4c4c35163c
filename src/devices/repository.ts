import type { KeyRing } from '../crypto/keyring.js';
import type { Db, DeviceCommandRow, DeviceLockRow, DeviceRow, Executor, StoredDeviceRow } from '../db/schema.js';
import { DeviceSealer } from './sealed-fields.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const DEVICE_ACCOUNT_ROWS: AccountRows = { feature: 'devices', tables: ['device_commands', 'devices'] };
/** Device locks: erased with the account only when its deletion releases them (otherwise they stay, kept). */
export const DEVICE_LOCK_ROWS: AccountRows = { feature: 'devices', tables: ['device_locks'] };

export interface DeviceWithLock extends DeviceRow {
  locked: boolean;
  /** Its sealed name or location did not open (a damaged row): they read as '' and null. */
  unreadable?: true;
}

/**
 * SQL for devices, device locks and Find Device commands. A device's name and last location are sealed
 * here on write and opened on read (see DeviceSealer): callers pass and receive them in clear.
 */
export class DeviceRepository {
  private readonly sealer: DeviceSealer;

  constructor(
    private readonly db: Db,
    keyRing: KeyRing,
  ) {
    this.sealer = new DeviceSealer(keyRing);
  }

  async create(executor: Executor, row: DeviceRow): Promise<void> {
    await executor
      .insertInto('devices')
      .values(await this.sealer.sealWrite(row.account_id, row.id, row))
      .execute();
  }

  async get(accountId: string, id: string, executor: Executor = this.db): Promise<DeviceRow | undefined> {
    return this.opened(
      await executor
        .selectFrom('devices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst(),
    );
  }

  async getBySerial(executor: Executor, accountId: string, serialLookup: string): Promise<DeviceRow | undefined> {
    return this.opened(
      await executor
        .selectFrom('devices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('serial_lookup', '=', serialLookup)
        .executeTakeFirst(),
    );
  }

  /** The device whose token is this session: how a device request finds its device. */
  async getBySession(accountId: string, sessionId: string): Promise<DeviceRow | undefined> {
    return this.opened(
      await this.db
        .selectFrom('devices')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('session_id', '=', sessionId)
        .executeTakeFirst(),
    );
  }

  private async opened(row: StoredDeviceRow | undefined): Promise<DeviceRow | undefined> {
    return row ? this.sealer.open(row) : undefined;
  }

  /** The accounts with a device of one of these serial lookups linked. */
  async accountsWithSerial(lookups: string[]): Promise<string[]> {
    if (lookups.length === 0) return [];
    const rows = await this.db
      .selectFrom('devices')
      .select('account_id')
      .where('serial_lookup', 'in', lookups)
      .execute();
    return rows.map((row) => row.account_id);
  }

  /** Every lock an account holds (serials and IMEIs of its devices, and locks kept past a release). */
  async locksOf(accountId: string): Promise<DeviceLockRow[]> {
    return this.db.selectFrom('device_locks').selectAll().where('account_id', '=', accountId).execute();
  }

  /** The account's devices with whether each is locked: one range scan and a primary-key probe a device. */
  async list(accountId: string): Promise<DeviceWithLock[]> {
    const rows = await this.db
      .selectFrom('devices')
      .leftJoin('device_locks', (join) =>
        join
          .onRef('device_locks.lookup', '=', 'devices.serial_lookup')
          .onRef('device_locks.account_id', '=', 'devices.account_id'),
      )
      .selectAll('devices')
      .select('device_locks.lookup as lock_lookup')
      .where('devices.account_id', '=', accountId)
      .orderBy('devices.linked_at', 'desc')
      .orderBy('devices.id', 'desc')
      .execute();
    // One damaged row must not hide every device of the account from its owner: it is listed, marked.
    const openOrBlank = (row: StoredDeviceRow): Promise<DeviceRow & { unreadable?: true }> =>
      this.sealer.open(row).catch(() => {
        const { name_sealed: _, ...rest } = row;
        return { ...rest, name: '', last_location: null, unreadable: true as const };
      });
    return Promise.all(
      rows.map(async ({ lock_lookup, ...row }) => ({ ...(await openOrBlank(row)), locked: lock_lookup !== null })),
    );
  }

  async update(
    executor: Executor,
    accountId: string,
    id: string,
    patch: Partial<Omit<DeviceRow, 'account_id' | 'id'>>,
  ): Promise<void> {
    await executor
      .updateTable('devices')
      .set(await this.sealer.sealWrite(accountId, id, patch))
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }

  /** Deletes the device and its commands; true when it existed. */
  async delete(executor: Executor, accountId: string, id: string): Promise<boolean> {
    await executor
      .deleteFrom('device_commands')
      .where('account_id', '=', accountId)
      .where('device_id', '=', id)
      .execute();
    const result = await executor
      .deleteFrom('devices')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Releases every lock the account holds (its deletion, asked to release them); returns how many. */
  async releaseLocksOf(executor: Executor, accountId: string): Promise<number> {
    const result = await executor.deleteFrom('device_locks').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async countLocksOf(executor: Executor, accountId: string): Promise<number> {
    const row = await executor
      .selectFrom('device_locks')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async getLock(lookup: string, executor: Executor = this.db): Promise<DeviceLockRow | undefined> {
    return executor.selectFrom('device_locks').selectAll().where('lookup', '=', lookup).executeTakeFirst();
  }

  async getLocks(lookups: string[], executor: Executor = this.db): Promise<DeviceLockRow[]> {
    return executor.selectFrom('device_locks').selectAll().where('lookup', 'in', lookups).execute();
  }

  /**
   * Whether the owner put the device in lost mode: a Find Device `lock` command sent since `since` that
   * did not fail (queued, delivered or done).
   */
  async inLostMode(executor: Executor, accountId: string, deviceId: string, since: number): Promise<boolean> {
    const row = await executor
      .selectFrom('device_commands')
      .select('id')
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .where('type', '=', 'lock')
      .where('status', '!=', 'failed')
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes locks by lookup, only those taken at or before a time; returns the rows it deleted. */
  async deleteLocksTakenBy(executor: Executor, lookups: string[], lockedAtOrBefore: number): Promise<DeviceLockRow[]> {
    const locks = (await this.getLocks(lookups, executor)).filter((lock) => lock.locked_at <= lockedAtOrBefore);
    if (locks.length > 0)
      await executor
        .deleteFrom('device_locks')
        .where(
          'lookup',
          'in',
          locks.map((lock) => lock.lookup),
        )
        .execute();
    return locks;
  }

  /**
   * Takes a lock unless someone holds it, and returns whoever holds it afterwards. The insert is the
   * arbiter between two accounts linking one serial at once: the primary key lets only one win.
   */
  async takeLock(executor: Executor, row: DeviceLockRow): Promise<DeviceLockRow> {
    await executor
      .insertInto('device_locks')
      .values(row)
      .onConflict((oc) => oc.column('lookup').doNothing())
      .execute();
    return (await this.getLock(row.lookup, executor))!;
  }

  async deleteLocks(executor: Executor, accountId: string, deviceId: string): Promise<void> {
    await executor
      .deleteFrom('device_locks')
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .execute();
  }

  async createCommand(executor: Executor, row: DeviceCommandRow): Promise<void> {
    await executor.insertInto('device_commands').values(row).execute();
  }

  async getCommand(accountId: string, id: string): Promise<DeviceCommandRow | undefined> {
    return this.db
      .selectFrom('device_commands')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async listCommands(accountId: string, deviceId: string, limit: number): Promise<DeviceCommandRow[]> {
    return this.db
      .selectFrom('device_commands')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Queued commands that have not expired, oldest first. */
  async listQueued(accountId: string, deviceId: string, now: number): Promise<DeviceCommandRow[]> {
    return this.db
      .selectFrom('device_commands')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('device_id', '=', deviceId)
      .where('status', '=', 'queued')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
  }

  /**
   * Moves a command from one state to the next only if it is still in the expected state and not
   * expired: a poll and the push channel racing for one command deliver it once.
   */
  async transitionCommand(
    executor: Executor,
    accountId: string,
    id: string,
    from: DeviceCommandRow['status'][],
    patch: Pick<Partial<DeviceCommandRow>, 'status' | 'delivered_at' | 'completed_at'>,
    now: number,
  ): Promise<boolean> {
    const result = await executor
      .updateTable('device_commands')
      .set(patch)
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('status', 'in', from)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
