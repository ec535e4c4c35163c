import { sign } from 'node:crypto';
import type { AccountService } from '../accounts/service.js';
import { writeAudit } from '../audit/audit-log.js';
import { iso, type Clock } from '../clock.js';
import { hmac } from '../crypto/tokens.js';
import type { Db } from '../db/schema.js';
import type { DeviceService } from '../devices/service.js';
import type { RequestOrigin, SecurityEventService } from '../events/service.js';
import type { AuthContext } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import type { MessageService } from '../messaging/service.js';
import type { BootloaderKeys } from './keys.js';
import type { BootloaderRepository } from './repository.js';

/** How long a signed statement is good for: the device uses it at once, offline. */
export const STATEMENT_TTL_MS = 60 * 60 * 1000;

/** What the bootloader verifies: the JSON whose exact bytes are signed. */
export interface UnlockStatement {
  serial: string;
  deviceId: string;
  accountHash: string;
  issuedAt: string;
  expiresAt: string;
  kid: string;
}

/**
 * Bootloader unlock: a device bound to its account long enough, and not in lost mode, gets a statement
 * signed with Ed25519 that its bootloader verifies offline against the published keys. The owner is
 * told on every channel and in their activity; staff find every authorisation in the audit log.
 */
export class BootloaderService {
  constructor(
    private readonly deps: {
      db: Db;
      repository: BootloaderRepository;
      keys: BootloaderKeys;
      devices: DeviceService;
      accounts: AccountService;
      events: SecurityEventService;
      messages: MessageService;
      lookupKey: Buffer;
      clock: Clock;
      waitMs: number;
    },
  ) {}

  async unlock(
    auth: AuthContext,
    input: { serial: string },
    origin: RequestOrigin,
  ): Promise<{ statement: string; signature: string; expiresAt: string }> {
    const device = await this.deps.devices.requireDevice(auth);
    // The serial is stored only as a keyed hash: the device names it, and it must be its own.
    if (!this.deps.devices.lookupsOf(input.serial).includes(device.serial_lookup)) {
      throw new AppError('validation_failed', "The serial is not this device's", {
        errors: [{ path: '/serial', message: "is not this device's serial" }],
      });
    }
    const now = this.deps.clock.now();
    // linked_at is when the device was bound to this account: a device removed and linked to another
    // account is a new row, so its wait starts again.
    const availableAt = Number(device.linked_at) + this.deps.waitMs;
    if (now < availableAt) {
      throw new AppError('bootloader.wait', `This device may ask for a bootloader unlock from ${iso(availableAt)}`, {
        availableAt: iso(availableAt),
      });
    }
    if (await this.deps.devices.inLostMode(device.account_id, device.id, now)) {
      throw new AppError(
        'bootloader.lost_mode',
        'The owner locked this device from Find Device: its bootloader cannot be unlocked',
      );
    }
    const key = await this.deps.keys.signing();
    const statement: UnlockStatement = {
      serial: input.serial.trim().toUpperCase(),
      deviceId: device.id,
      accountHash: hmac(this.deps.lookupKey, 'bootloader-account', device.account_id),
      issuedAt: iso(now),
      expiresAt: iso(now + STATEMENT_TTL_MS),
      kid: key.kid,
    };
    const bytes = Buffer.from(JSON.stringify(statement), 'utf8');
    const signature = sign(null, bytes, key.privateKey);
    const account = await this.deps.accounts.get(device.account_id);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.events.record(trx, device.account_id, 'device.bootloader_unlocked', origin);
      await writeAudit(trx, {
        at: now,
        action: 'bootloader.unlock_authorised',
        subject: hmac(this.deps.lookupKey, 'tombstone', device.account_id),
        detail: { device: device.id, serialHint: device.serial_hint, kid: key.kid, expiresAt: statement.expiresAt },
      });
      if (!account) return;
      await this.deps.accounts.tellEveryAddress(trx, account, {
        kind: 'bootloader_unlock_authorised',
        params: {
          model: device.model,
          name: device.name,
          at: new Date(now).toUTCString(),
          expiresAt: new Date(now + STATEMENT_TTL_MS).toUTCString(),
        },
      });
    });
    return {
      statement: bytes.toString('base64url'),
      signature: signature.toString('base64url'),
      expiresAt: statement.expiresAt,
    };
  }
}
