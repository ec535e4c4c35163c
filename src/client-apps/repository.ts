import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db, Executor, OauthAppsTable } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const CLIENT_APP_ACCOUNT_ROWS: AccountRows = { feature: 'apps', tables: ['oidc_records'] };

export type AppRow = Selectable<OauthAppsTable>;
export type NewAppRow = Insertable<OauthAppsTable>;
export type AppUpdate = Updateable<OauthAppsTable>;

/** An app with what the staff list shows of its use. */
export interface AppUsageRow extends AppRow {
  accounts: number;
}

/** Apps (OAuth clients) and the provider's records about them: the only SQL of the apps feature. */
export class ClientAppRepository {
  constructor(readonly db: Db) {}

  /** An account's grants (consents), joined with the apps they were given to. */
  grantsOf(executor: Executor, accountId: string) {
    return executor
      .selectFrom('oidc_records')
      .innerJoin('oauth_apps', 'oauth_apps.client_id', 'oidc_records.client_id')
      .where('oidc_records.account_id', '=', accountId)
      .where('oidc_records.model', '=', 'Grant');
  }

  /** The account's tokens (access and refresh) and codes of every app, whose payloads say when each was issued. */
  async tokensOf(accountId: string): Promise<{ client_id: string | null; payload: string }[]> {
    return this.db
      .selectFrom('oidc_records')
      .select(['client_id', 'payload'])
      .where('account_id', '=', accountId)
      .where('model', 'in', ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials'])
      .execute();
  }

  /**
   * Ends every token apps hold for the account (the OpenID provider's records: grants, codes, access and
   * refresh tokens, provider sessions): taking the account offline (SessionEnding.takeOffline).
   */
  async deleteTokensOf(executor: Executor, accountId: string): Promise<void> {
    await executor.deleteFrom('oidc_records').where('account_id', '=', accountId).execute();
  }

  async get(clientId: string): Promise<AppRow | undefined> {
    return this.db.selectFrom('oauth_apps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  }

  async create(row: NewAppRow): Promise<void> {
    await this.db.insertInto('oauth_apps').values(row).execute();
  }

  async update(clientId: string, changes: AppUpdate): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_apps')
      .set(changes)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes an app and every record the provider keeps for it (grants, codes, tokens), in one transaction. */
  async delete(clientId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('oidc_records').where('client_id', '=', clientId).execute();
      const result = await trx.deleteFrom('oauth_apps').where('client_id', '=', clientId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /** Every app, with how many accounts hold a live grant for it; newest first. */
  async listWithUsage(now: number): Promise<AppUsageRow[]> {
    const rows = await this.db
      .selectFrom('oauth_apps')
      .leftJoin('oidc_records', (join) =>
        join
          .onRef('oidc_records.client_id', '=', 'oauth_apps.client_id')
          .on('oidc_records.model', '=', 'Grant')
          .on((eb) => eb.or([eb('oidc_records.expires_at', 'is', null), eb('oidc_records.expires_at', '>', now)])),
      )
      .selectAll('oauth_apps')
      .select((eb) => eb.fn.count<string | number>('oidc_records.account_id').distinct().as('accounts'))
      .groupBy('oauth_apps.client_id')
      .orderBy('oauth_apps.created_at', 'desc')
      .execute();
    return rows.map((row) => ({ ...(row as AppRow), accounts: Number(row.accounts) }));
  }

  /** The accounts that let an app in (for the back-channel logouts of its deletion). */
  async accountsOf(clientId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('oidc_records')
      .select('account_id')
      .distinct()
      .where('client_id', '=', clientId)
      .where('model', '=', 'Grant')
      .where('account_id', 'is not', null)
      .execute();
    return rows.map((r) => r.account_id!);
  }

  async touch(clientId: string, at: number): Promise<void> {
    await this.db.updateTable('oauth_apps').set({ last_used_at: at }).where('client_id', '=', clientId).execute();
  }

  /** True while the account holds a live grant (this one, if named) for the app: a revoked app's tokens stop at our API at once. */
  async hasLiveGrant(accountId: string, clientId: string, now: number, grantId?: string): Promise<boolean> {
    let query = this.db
      .selectFrom('oidc_records')
      .select('id')
      .where('model', '=', 'Grant')
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId);
    if (grantId !== undefined) query = query.where('id', '=', grantId);
    const row = await query
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Deletes an account's records for one app (consent, codes, tokens); how many went. */
  async revoke(accountId: string, clientId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('oidc_records')
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Notes the Lanyard web session a provider session (by its uid) was used with. */
  async linkWebSession(providerSessionUid: string, webSessionId: string): Promise<void> {
    await this.db
      .updateTable('oidc_records')
      .set({ web_session_id: webSessionId })
      .where('model', '=', 'Session')
      .where('uid', '=', providerSessionUid)
      .execute();
  }

  /** A re-authentication replaced web sessions by a new one: the provider sessions follow it. */
  async moveWebSessions(executor: Executor, fromIds: string[], toId: string): Promise<void> {
    await executor
      .updateTable('oidc_records')
      .set({ web_session_id: toId })
      .where('model', '=', 'Session')
      .where('web_session_id', 'in', fromIds)
      .execute();
  }

  /** The account's provider sessions that were used with these web sessions. */
  async providerSessionsOf(executor: Executor, accountId: string, webSessionIds: string[]) {
    return executor
      .selectFrom('oidc_records')
      .select(['id', 'payload'])
      .where('model', '=', 'Session')
      .where('account_id', '=', accountId)
      .where('web_session_id', 'in', webSessionIds)
      .execute();
  }

  /** Ends a grant: the consent record and every code and token issued under it. */
  async endGrant(executor: Executor, grantId: string): Promise<void> {
    await executor
      .deleteFrom('oidc_records')
      .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)])]))
      .execute();
  }

  /** Deletes one of the provider's records. */
  async deleteRecord(executor: Executor, model: string, id: string): Promise<void> {
    await executor.deleteFrom('oidc_records').where('model', '=', model).where('id', '=', id).execute();
  }

  /** Of these apps, those that registered a back-channel logout URI. */
  async withBackchannelLogout(executor: Executor, clientIds: string[]): Promise<string[]> {
    if (clientIds.length === 0) return [];
    const rows = await executor
      .selectFrom('oauth_apps')
      .select('client_id')
      .where('client_id', 'in', clientIds)
      .where('backchannel_logout_uri', 'is not', null)
      .execute();
    return rows.map((row) => row.client_id);
  }

  /** Deletes the provider's expired records (codes, tokens, sessions, interactions). */
  async sweepExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('oidc_records').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The signing keys not yet retired, oldest first. */
  async signingKeys(now: number) {
    return this.db
      .selectFrom('oidc_signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('retire_at', 'is', null), eb('retire_at', '>', now)]))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async addSigningKey(row: {
    id: string;
    jwk_sealed: string;
    created_at: number;
    sign_from: number | null;
  }): Promise<void> {
    await this.db
      .insertInto('oidc_signing_keys')
      .values({ ...row, retire_at: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** Plans the retirement of every key but one that has none planned yet. */
  async retireOthers(keepId: string, at: number): Promise<void> {
    await this.db
      .updateTable('oidc_signing_keys')
      .set({ retire_at: at })
      .where('id', '!=', keepId)
      .where('retire_at', 'is', null)
      .execute();
  }
}
