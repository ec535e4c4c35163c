import type { BootloaderKeysTable, Db, Executor } from '../db/schema.js';

export type BootloaderKeyRow = BootloaderKeysTable;

/** SQL for the bootloader signing keys, and the device facts an unlock depends on. */
export class BootloaderRepository {
  constructor(private readonly db: Db) {}

  /** The keys still published at `now`, newest first. */
  async publishedKeys(now: number): Promise<BootloaderKeyRow[]> {
    return this.db
      .selectFrom('bootloader_keys')
      .selectAll()
      .where((eb) => eb.or([eb('retire_at', 'is', null), eb('retire_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid', 'desc')
      .execute();
  }

  /** Adds a key unless one with its kid exists (two servers making the first key at once: one wins). */
  async addKey(row: BootloaderKeyRow): Promise<void> {
    await this.db
      .insertInto('bootloader_keys')
      .values(row)
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
  }

  /** Every other key stops being published at retireAt (a key already retiring earlier keeps its time). */
  async retireOthers(kid: string, retireAt: number): Promise<void> {
    await this.db
      .updateTable('bootloader_keys')
      .set({ retire_at: retireAt })
      .where('kid', '!=', kid)
      .where('retire_at', 'is', null)
      .execute();
  }
}
