import type { Db, Executor, WebhookDeliveriesTable, WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';

/** SQL for webhook endpoints and their deliveries. */
export class WebhookRepository {
  constructor(private readonly db: Db) {}

  async createEndpoint(row: WebhookEndpointRow): Promise<void> {
    await this.db.insertInto('webhook_endpoints').values(row).execute();
  }

  async getEndpoint(id: string, executor: Executor = this.db): Promise<WebhookEndpointRow | undefined> {
    return executor.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listEndpoints(executor: Executor = this.db): Promise<WebhookEndpointRow[]> {
    return executor.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async setSecrets(
    executor: Executor,
    id: string,
    secrets: Pick<WebhookEndpointRow, 'secret' | 'previous_secret' | 'previous_secret_until'>,
  ): Promise<void> {
    await executor.updateTable('webhook_endpoints').set(secrets).where('id', '=', id).execute();
  }

  /** Deletes an endpoint and (by cascade) its deliveries; true when it existed. */
  async deleteEndpoint(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Records a delivery unless this event already has one for the endpoint; true when recorded. */
  async createDelivery(executor: Executor, row: WebhookDeliveryRow): Promise<boolean> {
    const result = await executor
      .insertInto('webhook_deliveries')
      .values(row)
      .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async getDelivery(id: string, executor: Executor = this.db): Promise<WebhookDeliveryRow | undefined> {
    return executor.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Updates a delivery only while it is still pending: a late duplicate try cannot undo a recorded success. */
  async updatePending(
    executor: Executor,
    id: string,
    patch: Partial<Omit<WebhookDeliveriesTable, 'id'>>,
  ): Promise<boolean> {
    const result = await executor
      .updateTable('webhook_deliveries')
      .set(patch)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Puts a delivery back in the queue, whatever its status, for a try now. */
  async requeue(executor: Executor, id: string, now: number): Promise<void> {
    await executor
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now })
      .where('id', '=', id)
      .execute();
  }

  /** An endpoint's deliveries, newest first. */
  async listDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}
