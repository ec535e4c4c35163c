import type { AccountRow, AccountUpdate, Db, Executor, NewAccountRow } from '../db/schema.js';

/** SQL for accounts. */
export class AccountRepository {
  constructor(private readonly db: Db) {}

  async create(executor: Executor, row: NewAccountRow): Promise<void> {
    await executor.insertInto('accounts').values(row).execute();
  }

  async get(id: string, executor: Executor = this.db): Promise<AccountRow | undefined> {
    return executor.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
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
