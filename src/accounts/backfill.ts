import type { Db } from '../db/schema.js';
import type { KeyRing } from '../crypto/keyring.js';
import { PROFILE_FIELDS, ProfileSealer } from './sealed-profile.js';

const BATCH_SIZE = 500;

/**
 * Seals the email, phone and name of accounts written before they were sealed (the migration that
 * added the sealed columns cannot: it has no key ring), and sets the plaintext columns to NULL. Runs
 * at every start; once done it finds nothing. Resumable and idempotent: rows go in batches of one
 * transaction each, walked by id so that it always ends, and a row is only rewritten if its plaintext
 * is still what was read, so that a concurrent change of address is never undone. Returns how many
 * rows it sealed.
 */
export async function sealPlaintextProfiles(db: Db, keyRing: KeyRing, batchSize = BATCH_SIZE): Promise<number> {
  const sealer = new ProfileSealer(keyRing);
  let after = '';
  let sealed = 0;
  for (;;) {
    const rows = await db
      .selectFrom('accounts')
      .select(['id', 'status', 'email', 'phone', 'name'])
      .where('id', '>', after)
      .where((eb) => eb.or([eb('email', 'is not', null), eb('phone', 'is not', null), eb('name', 'is not', null)]))
      .orderBy('id')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return sealed;
    after = rows[rows.length - 1]!.id;
    // Keys first, outside the transaction: the key ring is another database.
    const keys = new Map<string, Buffer | undefined>();
    for (const row of rows) {
      // An account being erased has had its key destroyed on purpose: its plaintext is dropped, not sealed
      // under a new key that would bring it back.
      keys.set(row.id, row.status === 'erasing' ? await keyRing.get(row.id) : await sealer.keyFor(row.id));
    }
    await db.transaction().execute(async (trx) => {
      for (const row of rows) {
        const key = keys.get(row.id);
        let update = trx.updateTable('accounts').where('id', '=', row.id);
        for (const field of PROFILE_FIELDS) {
          const value = row[field];
          update = update.where(field, value === null ? 'is' : '=', value);
          if (value !== null)
            update = update.set({
              [`${field}_sealed`]: key ? sealer.seal(key, row.id, field, value) : null,
              [field]: null,
            });
        }
        const result = await update.executeTakeFirst();
        sealed += Number(result.numUpdatedRows);
      }
    });
  }
}
