import type { CloudExportRow, Db, Executor } from '../db/schema.js';

/** SQL for exports (the cloud_exports table). */
export class ExportRepository {
  constructor(private readonly db: Db) {}

  async createExport(executor: Executor, row: CloudExportRow): Promise<void> {
    await executor.insertInto('cloud_exports').values(row).execute();
  }

  async getExport(accountId: string, id: string): Promise<CloudExportRow | undefined> {
    return this.db
      .selectFrom('cloud_exports')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The export still being made for the account, if any. */
  async getPendingExport(executor: Executor, accountId: string): Promise<CloudExportRow | undefined> {
    return executor
      .selectFrom('cloud_exports')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
  }

  async updateExport(
    accountId: string,
    id: string,
    changes: Partial<Omit<CloudExportRow, 'account_id' | 'id'>>,
    executor: Executor = this.db,
  ): Promise<void> {
    await executor
      .updateTable('cloud_exports')
      .set(changes)
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }
}
