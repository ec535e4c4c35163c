import type { CompiledQuery } from 'kysely';
import type { AccountRow, AccountUpdate, Db, Executor, NewAccountRow } from '../db/schema.js';

/** SQL for accounts. */
export class AccountRepository {
  // Every authenticated read of the profile runs this; it is compiled once (compiling cost as much as
  // running it), and each call only puts its id in the one parameter.
  private readonly byId: CompiledQuery<AccountRow>;

  constructor(private readonly db: Db) {
    this.byId = db.selectFrom('accounts').selectAll().where('id', '=', '').compile();
    if (this.byId.parameters.length !== 1) throw new Error('the account lookup must have exactly one parameter');
  }

  async create(executor: Executor, row: NewAccountRow): Promise<void> {
    await executor.insertInto('accounts').values(row).execute();
  }

  async get(id: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    const { rows } = await executor.executeQuery<AccountRow>({ ...this.byId, parameters: [id] });
    return rows[0];
  }

  async getByEmailLookup(lookup: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    return executor.selectFrom('accounts').selectAll().where('email_lookup', '=', lookup).executeTakeFirst();
  }

  async getByPhoneLookup(lookup: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    return executor.selectFrom('accounts').selectAll().where('phone_lookup', '=', lookup).executeTakeFirst();
  }

  async update(executor: Executor, id: string, patch: AccountUpdate): Promise<void> {
    await executor.updateTable('accounts').set(patch).where('id', '=', id).execute();
  }
}
