import { BoundedCache } from '../bounded-cache.js';
import type { AccountProfile, AccountUpdate, StoredAccountRow } from '../db/schema.js';
import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';

export type ProfileField = 'email' | 'phone' | 'name';
export const PROFILE_FIELDS: readonly ProfileField[] = ['email', 'phone', 'name'];

const sealedColumn = { email: 'email_sealed', phone: 'phone_sealed', name: 'name_sealed' } as const;

// Binds a sealed value to its account and field: one account's sealed email copied onto another row,
// or into the same row's name, does not open.
const context = (accountId: string, field: ProfileField) =>
  JSON.stringify(['lanyard/account-field/v1', accountId, field]);

/** What opening needs of an account row: its id and its sealed profile fields. */
export type SealedProfileRow = Pick<StoredAccountRow, 'id' | 'email_sealed' | 'phone_sealed' | 'name_sealed'>;

const NO_PROFILE: Readonly<AccountProfile> = Object.freeze({ email: null, phone: null, name: null });

interface OpenedEntry {
  key: Buffer;
  sealed: [string | null, string | null, string | null];
  opened: AccountProfile;
}

/**
 * Profiles already opened, by account: GET /v1/me reads the profile on every call, and opening its three
 * values costs about 12 µs against well under 1 µs for this check. An entry is only used for the very
 * same sealed strings under the very same key buffer, so that a changed or altered value is opened (and
 * checked) again, and an account whose key is destroyed reads as erased at once. It holds no more than
 * the key ring's own cache of unwrapped keys, which open these values anyway.
 */
class OpenedCache {
  private readonly entries: BoundedCache<string, OpenedEntry>;
  constructor(capacity: number) {
    this.entries = new BoundedCache(capacity);
  }

  get(row: SealedProfileRow, key: Buffer): AccountProfile | undefined {
    const entry = this.entries.get(row.id);
    if (
      !entry ||
      entry.key !== key ||
      entry.sealed[0] !== row.email_sealed ||
      entry.sealed[1] !== row.phone_sealed ||
      entry.sealed[2] !== row.name_sealed
    )
      return undefined;
    return entry.opened;
  }

  set(row: SealedProfileRow, key: Buffer, opened: AccountProfile): void {
    this.entries.set(row.id, { key, sealed: [row.email_sealed, row.phone_sealed, row.name_sealed], opened });
  }

  drop(accountId: string): void {
    this.entries.delete(accountId);
  }
}

/**
 * The account's email, phone and name are kept sealed under its data key, so that destroying the key
 * (deletion) leaves nothing readable in dead tuples, WAL, free pages or backups. The repository seals
 * on write and opens on read, so that the rest of the code sees the profile in clear as before.
 */
export class ProfileSealer {
  private readonly cache: OpenedCache;

  constructor(
    private readonly keyRing: KeyRing,
    options: { cacheSize?: number } = {},
  ) {
    // As many accounts as the key ring caches (about 50 MB at 100,000): a miss opens three sealed fields.
    this.cache = new OpenedCache(options.cacheSize ?? 100_000);
  }

  /** The account's data key, created if it has none yet: every account gets one at creation. */
  keyFor(accountId: string): Promise<Buffer> {
    return this.keyRing.getOrCreate(accountId);
  }

  seal(key: Buffer, accountId: string, field: ProfileField, value: string | null): string | null {
    return value === null ? null : sealText(key, value, context(accountId, field));
  }

  /**
   * Turns the personal fields of a write into their sealed columns: what is written holds none of them in
   * clear. The key is only fetched when there is something to seal: clearing a field (deletion) needs none.
   */
  async sealWrite<T extends AccountUpdate>(accountId: string, write: T): Promise<Omit<T, ProfileField>> {
    const { email, phone, name, ...rest } = write;
    const clear = { email, phone, name };
    const present = PROFILE_FIELDS.filter((field) => clear[field] !== undefined);
    if (present.length === 0) return rest;
    const key = present.some((field) => clear[field] !== null) ? await this.keyFor(accountId) : undefined;
    const sealed: Record<string, string | null> = {};
    for (const field of present)
      sealed[sealedColumn[field]] = key ? this.seal(key, accountId, field, clear[field] ?? null) : null;
    return { ...rest, ...sealed };
  }

  /**
   * The row with its email, phone and name opened. Once the key is destroyed (the account is being
   * erased) they read as null; a value that does not open under a key that exists (altered, or moved from
   * another row) throws.
   */
  async open<T extends SealedProfileRow>(row: T): Promise<T & AccountProfile> {
    return { ...row, ...(await this.openFields(row)) };
  }

  /**
   * The row's email, phone and name opened, as `open` gives them, without a copy of the rest of the row:
   * what GET /v1/me needs on every call. The object may be shared: do not change it.
   */
  async openFields(row: SealedProfileRow): Promise<Readonly<AccountProfile>> {
    if (row.email_sealed === null && row.phone_sealed === null && row.name_sealed === null) return NO_PROFILE;
    const key = await this.keyRing.get(row.id);
    if (!key) {
      this.cache.drop(row.id);
      return NO_PROFILE;
    }
    const cached = this.cache.get(row, key);
    if (cached) return cached;
    const opened: AccountProfile = { email: null, phone: null, name: null };
    for (const field of PROFILE_FIELDS) {
      const sealed = row[sealedColumn[field]];
      if (sealed !== null) opened[field] = openText(key, sealed, context(row.id, field));
    }
    this.cache.set(row, key, opened);
    return opened;
  }
}
