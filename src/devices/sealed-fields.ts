import type { DeviceRow, StoredDeviceRow } from '../db/schema.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';

type DeviceField = 'name' | 'location';

// Binds a sealed value to its account, device and field: it does not open on another device or field.
const context = (accountId: string, deviceId: string, field: DeviceField) =>
  JSON.stringify(['lanyard/device-field/v1', accountId, deviceId, field]);

/**
 * A device's name (it often names its owner: "Ana's phone") and last location, sealed under the
 * account's data key, so that deleting the account's key leaves them unreadable everywhere. The
 * repository seals on write and opens on read; the rest of the code sees them in clear.
 */
export class DeviceSealer {
  constructor(private readonly keyRing: KeyRing) {}

  /** The columns to write for a write that may carry a name or a location in clear. */
  async sealWrite<T extends Partial<DeviceRow>>(
    accountId: string,
    deviceId: string,
    write: T,
  ): Promise<Omit<T, 'name'> & { name_sealed?: string }> {
    const { name, ...rest } = write;
    const hasLocation = write.last_location !== undefined && write.last_location !== null;
    if (name === undefined && !hasLocation) return rest;
    const key = await this.keyRing.getOrCreate(accountId);
    return {
      ...rest,
      ...(name !== undefined ? { name_sealed: sealText(key, name, context(accountId, deviceId, 'name')) } : {}),
      ...(hasLocation
        ? { last_location: sealText(key, write.last_location!, context(accountId, deviceId, 'location')) }
        : {}),
    };
  }

  /**
   * The row with its name and location opened. Once the account's key is destroyed they read as '' and
   * null; a value that does not open under a key that exists (altered or moved) throws.
   */
  async open<T extends StoredDeviceRow>(row: T): Promise<Omit<T, 'name_sealed'> & { name: string }> {
    const { name_sealed, ...rest } = row;
    if (name_sealed === null && row.last_location === null) return { ...rest, name: '' };
    const key = await this.keyRing.get(row.account_id);
    return {
      ...rest,
      name: key && name_sealed !== null ? openText(key, name_sealed, context(row.account_id, row.id, 'name')) : '',
      last_location:
        key && row.last_location !== null
          ? openText(key, row.last_location, context(row.account_id, row.id, 'location'))
          : null,
    };
  }
}
