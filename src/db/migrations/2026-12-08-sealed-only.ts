import { createCipheriv, randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

// Append-only: never edit after it lands. Imports nothing from the application: the sealing below is a
// frozen copy of what src/crypto/sealing.ts and the three sealers wrote when it landed (version 1), which
// the application opens as it opens everything else it sealed.

/** What this migration needs of the key ring (src/crypto/keyring.ts): the accounts' data keys. */
export interface MigrationKeyRing {
  getOrCreate(accountId: string): Promise<Buffer>;
  get(accountId: string): Promise<Buffer | undefined>;
}

const BATCH = 500;

/** AES-256-GCM as src/crypto/sealing.ts: base64 of version 1 ‖ nonce ‖ tag ‖ ciphertext. */
function sealText(key: Buffer, plaintext: string, associatedData: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), nonce, cipher.getAuthTag(), body]).toString('base64');
}
const accountContext = (accountId: string, field: string) =>
  JSON.stringify(['lanyard/account-field/v1', accountId, field]);
const deviceContext = (accountId: string, deviceId: string, field: string) =>
  JSON.stringify(['lanyard/device-field/v1', accountId, deviceId, field]);
const originContext = (accountId: string, table: string, rowId: string) =>
  JSON.stringify(['lanyard/origin/v1', accountId, table, rowId]);

/**
 * The end of the move to sealed personal fields. The migrations that added the sealed columns
 * (2026-11-27-sealed-profile, 2026-11-29-sealed-origins) had no key ring, so a backfill at every start
 * sealed older rows and left their plaintext twins NULL (or ''). This one is given the key ring: it seals
 * what the backfill had not reached yet, once, then drops the twins (accounts.email, phone and name;
 * devices.name; sessions and security_events ip and client). A device location written in clear (JSON)
 * is sealed in place. Rows of an account being erased (its key destroyed on purpose) are not sealed under
 * a new key that would bring them back: their plaintext goes with the columns. Without a key ring
 * (`lanyard migrate`, tests' empty databases) it runs only when there is nothing left to seal.
 */
export function sealedOnly(keyRing: MigrationKeyRing | undefined): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const needKeys = (what: string) =>
        new Error(
          `the migration 2026-12-08-sealed-only has ${what} to seal and needs the key ring: run \`lanyard serve\` (or \`lanyard worker\`) once, which migrates with it`,
        );

      for (;;) {
        const rows: Array<{
          id: string;
          status: string;
          email: string | null;
          phone: string | null;
          name: string | null;
        }> = await db
          .selectFrom('accounts')
          .select(['id', 'status', 'email', 'phone', 'name'])
          .where((eb) => eb.or([eb('email', 'is not', null), eb('phone', 'is not', null), eb('name', 'is not', null)]))
          .orderBy('id')
          .limit(BATCH)
          .execute();
        if (rows.length === 0) break;
        if (!keyRing) throw needKeys('accounts');
        for (const row of rows) {
          const key = row.status === 'erasing' ? undefined : await keyRing.getOrCreate(row.id);
          const write: Record<string, string | null> = { email: null, phone: null, name: null };
          for (const field of ['email', 'phone', 'name'] as const) {
            const value = row[field];
            if (value !== null && key) write[`${field}_sealed`] = sealText(key, value, accountContext(row.id, field));
          }
          await db.updateTable('accounts').set(write).where('id', '=', row.id).execute();
        }
      }

      for (;;) {
        const rows: Array<{ account_id: string; id: string; name: string; last_location: string | null }> = await db
          .selectFrom('devices')
          .select(['account_id', 'id', 'name', 'last_location'])
          .where((eb) =>
            eb.or([eb.and([eb('name_sealed', 'is', null), eb('name', '!=', '')]), eb('last_location', 'like', '{%')]),
          )
          .orderBy('account_id')
          .orderBy('id')
          .limit(BATCH)
          .execute();
        if (rows.length === 0) break;
        if (!keyRing) throw needKeys('devices');
        const erased = new Set(
          (await db.selectFrom('accounts').select('id').where('status', '=', 'erasing').execute()).map((r) => r.id),
        );
        for (const row of rows) {
          const key = erased.has(row.account_id) ? undefined : await keyRing.getOrCreate(row.account_id);
          const write: Record<string, string | null> = { name: '' };
          const location = row.last_location?.startsWith('{') ? row.last_location : undefined;
          if (location !== undefined)
            write.last_location = key
              ? sealText(key, location, deviceContext(row.account_id, row.id, 'location'))
              : null;
          if (row.name !== '' && key)
            write.name_sealed = sealText(key, row.name, deviceContext(row.account_id, row.id, 'name'));
          await db
            .updateTable('devices')
            .set(write)
            .where('account_id', '=', row.account_id)
            .where('id', '=', row.id)
            .execute();
        }
      }

      for (const table of ['sessions', 'security_events']) {
        for (;;) {
          const rows: Array<{ account_id: string; id: string; ip: string; client: string }> = await db
            .selectFrom(table)
            .select(['account_id', 'id', 'ip', 'client'])
            .where('origin_sealed', 'is', null)
            .where((eb) => eb.or([eb('ip', '!=', ''), eb('client', '!=', '')]))
            .where('account_id', 'not in', db.selectFrom('accounts').select('id').where('status', '=', 'erasing'))
            .orderBy('account_id')
            .orderBy('id')
            .limit(BATCH)
            .execute();
          if (rows.length === 0) break;
          if (!keyRing) throw needKeys(table);
          for (const row of rows) {
            const key = await keyRing.getOrCreate(row.account_id);
            await db
              .updateTable(table)
              .set({
                ip: '',
                client: '',
                origin_sealed: sealText(
                  key,
                  JSON.stringify([row.ip, row.client]),
                  originContext(row.account_id, table, row.id),
                ),
              })
              .where('account_id', '=', row.account_id)
              .where('id', '=', row.id)
              .execute();
          }
        }
      }

      for (const column of ['email', 'phone', 'name'])
        await db.schema.alterTable('accounts').dropColumn(column).execute();
      await db.schema.alterTable('devices').dropColumn('name').execute();
      for (const table of ['sessions', 'security_events'])
        for (const column of ['ip', 'client']) await db.schema.alterTable(table).dropColumn(column).execute();
    },
  };
}
