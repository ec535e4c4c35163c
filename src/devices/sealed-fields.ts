import type { Db, DeviceRow } from '../db/schema.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';

type DeviceField = 'name' | 'location';

// Binds a sealed value to its account, device and field: it does not open on another device or field.
const context = (accountId: string, deviceId: string, field: DeviceField) =>
  JSON.stringify(['lanyard/device-field/v1', accountId, deviceId, field]);

// A location written before sealing is JSON; sealed text is base64, which never starts with '{'.
const isPlainLocation = (value: string) => value.startsWith('{');

/**
 * A device's name (it often names its owner: "Ana's phone") and last location, sealed under the
 * account's data key, so that deleting the account's key leaves them unreadable everywhere. The
 * repository seals on write and opens on read; the rest of the code sees them in clear.
 */
export class DeviceSealer {
  constructor(private readonly keyRing: KeyRing) {}

  /** The columns to write for a write that may carry a name or a location in clear. */
  async sealWrite<T extends Partial<DeviceRow>>(accountId: string, deviceId: string, write: T): Promise<T> {
    const hasName = write.name !== undefined;
    const hasLocation = write.last_location !== undefined && write.last_location !== null;
    if (!hasName && !hasLocation) return write;
    const key = await this.keyRing.getOrCreate(accountId);
    const sealed: Partial<DeviceRow> = { ...write };
    if (hasName) {
      sealed.name_sealed = sealText(key, write.name!, context(accountId, deviceId, 'name'));
      sealed.name = '';
    }
    if (hasLocation)
      sealed.last_location = sealText(key, write.last_location!, context(accountId, deviceId, 'location'));
    return sealed as T;
  }

  /**
   * The row with its name and location opened. Once the account's key is destroyed they read as '' and
   * null; a value that does not open under a key that exists (altered or moved) throws.
   */
  async open<T extends DeviceRow>(row: T): Promise<T> {
    const sealedLocation = row.last_location !== null && !isPlainLocation(row.last_location) ? row.last_location : null;
    if (row.name_sealed === null && sealedLocation === null) return row;
    const key = await this.keyRing.get(row.account_id);
    const opened: DeviceRow = { ...row };
    if (row.name_sealed !== null) {
      opened.name = key ? openText(key, row.name_sealed, context(row.account_id, row.id, 'name')) : '';
      opened.name_sealed = null;
    }
    if (sealedLocation !== null)
      opened.last_location = key ? openText(key, sealedLocation, context(row.account_id, row.id, 'location')) : null;
    return opened as T;
  }
}

/**
 * Seals the names and locations of devices linked before they were sealed; see sealPlaintextProfiles
 * (src/accounts/backfill.ts) for how: batches walked by key, each row rewritten only if unchanged.
 */
export async function sealPlaintextDevices(db: Db, keyRing: KeyRing, batchSize = 500): Promise<number> {
  const sealer = new DeviceSealer(keyRing);
  let after = { account_id: '', id: '' };
  let sealed = 0;
  for (;;) {
    const rows = await db
      .selectFrom('devices')
      .select(['account_id', 'id', 'name', 'name_sealed', 'last_location'])
      .where((eb) =>
        eb.and([
          eb.or([
            eb('account_id', '>', after.account_id),
            eb.and([eb('account_id', '=', after.account_id), eb('id', '>', after.id)]),
          ]),
          eb.or([eb('name_sealed', 'is', null), eb('last_location', 'like', '{%')]),
          // An account being erased has had its key destroyed on purpose; its devices are being deleted.
          eb('account_id', 'not in', eb.selectFrom('accounts').select('id').where('status', '=', 'erasing')),
        ]),
      )
      .orderBy('account_id')
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return sealed;
    after = rows[rows.length - 1]!;
    const writes: Array<{ row: (typeof rows)[number]; write: Partial<DeviceRow> }> = [];
    for (const row of rows) {
      const plainLocation =
        row.last_location !== null && isPlainLocation(row.last_location) ? row.last_location : undefined;
      const write = await sealer.sealWrite(row.account_id, row.id, {
        ...(row.name_sealed === null ? { name: row.name } : {}),
        ...(plainLocation !== undefined ? { last_location: plainLocation } : {}),
      });
      writes.push({ row, write });
    }
    await db.transaction().execute(async (trx) => {
      for (const { row, write } of writes) {
        const result = await trx
          .updateTable('devices')
          .set(write)
          .where('account_id', '=', row.account_id)
          .where('id', '=', row.id)
          .where('name', '=', row.name)
          .where('last_location', row.last_location === null ? 'is' : '=', row.last_location)
          .executeTakeFirst();
        sealed += Number(result.numUpdatedRows);
      }
    });
  }
}
