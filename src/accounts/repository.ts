import type { CompiledQuery } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import type { AuthChanges } from '../db/auth-changes.js';
import type { AccountRow, AccountUpdate, Db, Executor, NewAccountRow, StoredAccountRow } from '../db/schema.js';
import { ProfileSealer } from './sealed-profile.js';

/** The columns a sign-in finds an account by: its id, or the blind index of its email or phone. */
type SignInColumn = 'id' | 'email_lookup' | 'phone_lookup';

/**
 * SQL for accounts. The email, phone and name are sealed here on every write and opened on every read:
 * callers pass and receive them in clear, and the database only ever holds them sealed.
 */
export class AccountRepository {
  // Every authenticated read of the profile runs this; it is compiled once (compiling cost as much as
  // running it), and each call only puts its id in the one parameter.
  private readonly byId: CompiledQuery<StoredAccountRow>;
  readonly sealer: ProfileSealer;

  constructor(
    private readonly db: Db,
    keyRing: KeyRing,
    /** Told of every write to an account row, so that this process's cache of session checks drops it at once. */
    private readonly changes?: AuthChanges,
  ) {
    this.byId = db.selectFrom('accounts').selectAll().where('id', '=', '').compile();
    if (this.byId.parameters.length !== 1) throw new Error('the account lookup must have exactly one parameter');
    this.sealer = new ProfileSealer(keyRing);
  }

  /** Creates the account's data key (if it has none) before sealing its profile under it. */
  async create(executor: Executor, row: NewAccountRow): Promise<void> {
    await this.sealer.keyFor(row.id);
    const sealed = await this.sealer.sealWrite(row.id, { email: null, phone: null, name: null, ...row });
    await executor.insertInto('accounts').values(sealed).execute();
  }

  async get(id: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    const { rows } = await executor.executeQuery<StoredAccountRow>({ ...this.byId, parameters: [id] });
    return this.opened(rows[0]);
  }

  async getByEmailLookup(lookup: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    return this.opened(
      await executor.selectFrom('accounts').selectAll().where('email_lookup', '=', lookup).executeTakeFirst(),
    );
  }

  async getByPhoneLookup(lookup: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    return this.opened(
      await executor.selectFrom('accounts').selectAll().where('phone_lookup', '=', lookup).executeTakeFirst(),
    );
  }

  /**
   * The account by id or by an address's blind index, and whether it has signed in from this client
   * before: all that a sign-in reads, in one round trip.
   */
  async getForSignIn(
    by: { column: SignInColumn; value: string },
    clientLookup: string,
  ): Promise<{ account: AccountRow; knownClient: boolean } | undefined> {
    const row = await this.db
      .selectFrom('accounts')
      .leftJoin('known_clients', (join) =>
        join.onRef('known_clients.account_id', '=', 'accounts.id').on('known_clients.client_lookup', '=', clientLookup),
      )
      .selectAll('accounts')
      .select('known_clients.first_seen_at as known_client_seen_at')
      .where(`accounts.${by.column}`, '=', by.value)
      .executeTakeFirst();
    if (!row) return undefined;
    const { known_client_seen_at: seenAt, ...account } = row;
    return { account: await this.sealer.open(account), knownClient: seenAt !== null };
  }

  async update(executor: Executor, id: string, patch: AccountUpdate): Promise<void> {
    this.changes?.writing(id);
    await executor
      .updateTable('accounts')
      .set(await this.sealer.sealWrite(id, patch))
      .where('id', '=', id)
      .execute();
  }

  /**
   * Moves an account from one of the given states to another; false when it was in none of them. Leaving
   * `active` for good also frees its email and phone (their blind indexes).
   */
  async setStatus(
    executor: Executor,
    id: string,
    from: readonly AccountRow['status'][],
    to: 'active' | 'deletion_scheduled' | 'erasing',
    now: number,
  ): Promise<boolean> {
    this.changes?.writing(id);
    const result = await executor
      .updateTable('accounts')
      .set({ status: to, updated_at: now, ...(to === 'erasing' ? { email_lookup: null, phone_lookup: null } : {}) })
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes the accounts row itself (foreign keys cascade to anything still tied to it). */
  async delete(id: string): Promise<void> {
    this.changes?.writing(id);
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
  }

  /** A page of account ids in id order, after the given one. */
  async listIds(after: string | undefined, limit: number): Promise<Array<{ id: string; status: string }>> {
    let query = this.db.selectFrom('accounts').select(['id', 'status']).orderBy('id').limit(limit);
    if (after !== undefined) query = query.where('id', '>', after);
    return query.execute();
  }

  /** Every staff account (support and admin), oldest first. */
  async listStaff(): Promise<AccountRow[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('role', '!=', 'user')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return Promise.all(rows.map((row) => this.sealer.open(row)));
  }

  private async opened(row: StoredAccountRow | undefined): Promise<AccountRow | undefined> {
    return row ? this.sealer.open(row) : undefined;
  }
}
