import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { openText } from '../crypto/sealing.js';
import type { Db } from '../db/schema.js';
import type { AppRow } from './repository.js';
import { API_SCOPES } from './scopes.js';

const isApiScope = (scope: string) => (API_SCOPES as readonly string[]).includes(scope);

/** A registered app's client metadata, as oidc-provider validates and uses it. */
export function clientMetadata(app: AppRow, secret: string | undefined): AdapterPayload {
  const confidential = app.type === 'web';
  const scopes = JSON.parse(app.scopes) as string[];
  return {
    // With a back-channel logout URI, ID tokens carry the session's sid, and so do the logout tokens of
    // a session that ended: the app can tell which of its sessions to end.
    ...(app.backchannel_logout_uri
      ? { backchannel_logout_uri: app.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    client_id: app.client_id,
    ...(confidential && secret ? { client_secret: secret } : {}),
    client_name: app.name,
    ...(app.logo_uri ? { logo_uri: app.logo_uri } : {}),
    // native: RFC 8252 redirect URIs (private-use schemes, claimed https, loopback with any port).
    application_type: app.type === 'native' ? 'native' : 'web',
    redirect_uris: JSON.parse(app.redirect_uris) as string[],
    post_logout_redirect_uris: JSON.parse(app.post_logout_redirect_uris) as string[],
    // The OpenID scopes the app may ask for; those of Lanyard's API are the resource server's (oidc.ts).
    scope: scopes.filter((s) => !isApiScope(s)).join(' '),
    lanyard_api_scopes: scopes.filter(isApiScope).join(' '),
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    // Every ID token says when the password was given (auth_time), asked for or not.
    require_auth_time: true,
    // A phone app or a page cannot keep a secret: it is a public client, and PKCE protects its codes.
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    dpop_bound_access_tokens: app.require_dpop === 1,
    require_pushed_authorization_requests: app.require_par === 1,
  };
}

export const appSecretAad = (clientId: string) => `oauth-app-secret/v1\u0000${clientId}`;

/**
 * oidc-provider's storage, in our database. Clients come from oauth_apps (registered by staff); every
 * other model (grants, codes, tokens, sessions, interactions) is a JSON payload in oidc_records, with
 * the account, client and grant copied out so that grants can be listed, revoked and erased.
 * Expiry uses the provider's own time (the wall clock), as its tokens do.
 */
export function databaseAdapter(db: Db, sealKey: Buffer): AdapterFactory {
  return (model: string): Adapter => {
    const find = async (column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> => {
      const row = await db
        .selectFrom('oidc_records')
        .selectAll()
        .where('model', '=', model)
        .where(column, '=', value)
        .executeTakeFirst();
      if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
      const payload = JSON.parse(row.payload) as AdapterPayload;
      return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
    };

    if (model === 'Client') {
      const none = async () => undefined;
      return {
        async find(id) {
          const app = await db.selectFrom('oauth_apps').selectAll().where('client_id', '=', id).executeTakeFirst();
          // A disabled app is unknown to the provider: no sign-in, no token, no refresh.
          if (!app || app.disabled_at !== null) return undefined;
          return clientMetadata(
            app,
            app.secret_sealed === '' ? undefined : openText(sealKey, app.secret_sealed, appSecretAad(app.client_id)),
          );
        },
        // Apps are registered through POST /v1/admin/apps, never by the provider itself.
        upsert: none,
        findByUid: none,
        findByUserCode: none,
        consume: none,
        destroy: none,
        revokeByGrantId: none,
      };
    }

    return {
      async upsert(id, payload, expiresIn) {
        const row = {
          payload: JSON.stringify(payload),
          account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
          client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
          grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
          uid: typeof payload.uid === 'string' ? payload.uid : null,
          user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
          expires_at: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null,
        };
        await db
          .insertInto('oidc_records')
          .values({ model, id, consumed_at: null, ...row })
          .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(row))
          .execute();
      },
      find: (id) => find('id', id),
      findByUid: (uid) => find('uid', uid),
      findByUserCode: (userCode) => find('user_code', userCode),
      async consume(id) {
        await db
          .updateTable('oidc_records')
          .set({ consumed_at: Date.now() })
          .where('model', '=', model)
          .where('id', '=', id)
          .execute();
      },
      async destroy(id) {
        await db.deleteFrom('oidc_records').where('model', '=', model).where('id', '=', id).execute();
      },
      async revokeByGrantId(grantId) {
        // Every model's records of the grant: its codes, access and refresh tokens.
        await db.deleteFrom('oidc_records').where('grant_id', '=', grantId).execute();
      },
    };
  };
}
