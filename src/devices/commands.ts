import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import type { Db, DeviceCommandRow, DeviceRow } from '../db/schema.js';
import { FRESH_SESSION_MS, type AuthContext } from '../http/auth.js';
import { AppError, invalidField } from '../http/errors.js';
import type { SessionEnding } from '../sessions/ending.js';
import type { DeviceRepository } from './repository.js';
import { refuseControlCharacters, type DeviceService } from './service.js';

/** A command the device has not answered within this long is shown as expired and no longer delivered. */
export const COMMAND_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
const LISTED_COMMANDS = 100;

export type CommandType = DeviceCommandRow['type'];
export type CommandState = DeviceCommandRow['status'] | 'expired';

export interface CommandView {
  id: string;
  type: CommandType;
  message?: string;
  state: CommandState;
  createdAt: string;
  expiresAt: string;
  deliveredAt: string | null;
  completedAt: string | null;
}

/** A command as the device receives it. */
export interface DeliveredCommand {
  id: string;
  type: CommandType;
  message?: string;
  createdAt: string;
}

export interface Location {
  lat: number;
  lon: number;
  accuracy: number;
}

/** Find Device: the owner's commands, their delivery to the device (poll or push), the device's answers. */
export class DeviceCommandService {
  private readonly db: Db;
  private readonly repository: DeviceRepository;
  private readonly devices: DeviceService;
  private readonly sessions: SessionEnding;
  private readonly clock: Clock;

  constructor(deps: {
    db: Db;
    repository: DeviceRepository;
    devices: DeviceService;
    sessions: SessionEnding;
    clock: Clock;
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.devices = deps.devices;
    this.sessions = deps.sessions;
    this.clock = deps.clock;
  }

  /** Queues a command for one of the owner's devices and pushes it to the device if it is connected. */
  async create(
    auth: AuthContext,
    deviceId: string,
    input: { type: CommandType; message?: string | undefined },
  ): Promise<CommandView> {
    refuseControlCharacters('message', input.message);
    const device = await this.devices.requireOwned(auth, deviceId);
    // Erasing is the one command that cannot be undone: it asks for the password like a removal does.
    if (input.type === 'erase' && this.clock.now() - auth.reauthenticatedAt >= FRESH_SESSION_MS) {
      throw new AppError(
        'reauthentication_required',
        'Erasing a device needs your password again (POST /v1/session/reauth)',
      );
    }
    if (!device.session_id)
      throw new AppError(
        'device.erased',
        'This device was erased and holds no device token; it cannot receive commands until it is set up again',
      );
    const now = this.clock.now();
    const row: DeviceCommandRow = {
      account_id: auth.accountId,
      id: uuidv7(),
      device_id: device.id,
      type: input.type,
      message: input.message ?? null,
      status: 'queued',
      created_at: now,
      expires_at: now + COMMAND_LIFETIME_MS,
      delivered_at: null,
      completed_at: null,
    };
    await this.repository.createCommand(this.db, row);
    this.devices.signals.emit(auth.accountId, device.id, { type: 'command', commandId: row.id });
    return this.view(row);
  }

  /** The owner's view of a device's commands, newest first. */
  async list(auth: AuthContext, deviceId: string): Promise<CommandView[]> {
    const device = await this.devices.requireOwned(auth, deviceId);
    const rows = await this.repository.listCommands(auth.accountId, device.id, LISTED_COMMANDS);
    return rows.map((row) => this.view(row));
  }

  /** The device's poll: every queued command, each marked delivered as it is handed over. */
  async poll(auth: AuthContext): Promise<DeliveredCommand[]> {
    const device = await this.devices.requireDevice(auth);
    const queued = await this.repository.listQueued(device.account_id, device.id, this.clock.now());
    const delivered: DeliveredCommand[] = [];
    for (const row of queued) {
      const command = await this.deliver(device, row);
      if (command) delivered.push(command);
    }
    return delivered;
  }

  /** Hands one command to the device by the push channel; undefined if a poll got it first or it expired. */
  async deliverById(device: DeviceRow, commandId: string): Promise<DeliveredCommand | undefined> {
    const row = await this.repository.getCommand(device.account_id, commandId);
    if (!row || row.device_id !== device.id) return undefined;
    return this.deliver(device, row);
  }

  private async deliver(device: DeviceRow, row: DeviceCommandRow): Promise<DeliveredCommand | undefined> {
    const now = this.clock.now();
    const won = await this.repository.transitionCommand(
      this.db,
      device.account_id,
      row.id,
      ['queued'],
      { status: 'delivered', delivered_at: now },
      now,
    );
    if (!won) return undefined;
    return {
      id: row.id,
      type: row.type,
      ...(row.message !== null ? { message: row.message } : {}),
      createdAt: iso(row.created_at),
    };
  }

  /**
   * The device's answer. A locate that is done stores the position as the device's last location. An
   * erase that is done revokes the device token (the device no longer has it) but keeps the lock: the
   * erased device meets its activation lock when it is set up again.
   */
  async answer(
    auth: AuthContext,
    commandId: string,
    input: { status: 'done' | 'failed'; location?: Location | undefined },
  ): Promise<void> {
    const device = await this.devices.requireDevice(auth);
    const row = await this.repository.getCommand(device.account_id, commandId);
    if (!row || row.device_id !== device.id) throw new AppError('not_found', 'No such command for this device');
    if (input.location && !(row.type === 'locate' && input.status === 'done')) {
      throw invalidField('body.location', 'is only accepted with a locate command that is done');
    }
    const now = this.clock.now();
    const ended = await this.db.transaction().execute(async (trx) => {
      const moved = await this.repository.transitionCommand(
        trx,
        device.account_id,
        row.id,
        ['queued', 'delivered'],
        { status: input.status, completed_at: now },
        now,
      );
      if (!moved) {
        if (row.status === 'done' || row.status === 'failed')
          throw new AppError('command.already_answered', 'This command was already answered');
        throw new AppError('command.expired', 'This command has expired');
      }
      if (input.location) {
        const location = JSON.stringify({
          lat: input.location.lat,
          lon: input.location.lon,
          accuracy: input.location.accuracy,
          at: now,
        });
        await this.repository.update(trx, device.account_id, device.id, { last_location: location });
      }
      if (row.type === 'erase' && input.status === 'done' && device.session_id) {
        await this.sessions.endOne(trx, device.account_id, device.session_id);
        await this.repository.update(trx, device.account_id, device.id, { session_id: null });
        return true;
      }
      return false;
    });
    if (ended) this.devices.signals.emit(device.account_id, device.id, { type: 'ended' });
  }

  private view(row: DeviceCommandRow): CommandView {
    const open = row.status === 'queued' || row.status === 'delivered';
    return {
      id: row.id,
      type: row.type,
      ...(row.message !== null ? { message: row.message } : {}),
      state: open && row.expires_at <= this.clock.now() ? 'expired' : row.status,
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      deliveredAt: row.delivered_at === null ? null : iso(row.delivered_at),
      completedAt: row.completed_at === null ? null : iso(row.completed_at),
    };
  }
}
