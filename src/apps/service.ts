import type { FastifyBaseLogger } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Provider } from 'oidc-provider';
import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import { sealText } from '../crypto/sealing.js';
import { newToken } from '../crypto/tokens.js';
import type { Db, Executor } from '../db/schema.js';
import { invalidField, AppError } from '../http/errors.js';
import { openJobPayload, sealJobPayload } from '../jobs/sealed-payload.js';
import { PermanentJobError, type JobService } from '../jobs/service.js';
import { appSecretAad } from './adapter.js';
import { LOOPBACK_HOSTS, type Scope } from './oidc.js';

const BACKCHANNEL_LOGOUT_JOB = 'apps.backchannel_logout';

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  name: string;
  redirectUris: string[];
  scopes: Scope[];
  backchannelLogoutUri: string | null;
  createdAt: string;
}

export interface GrantedApp {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: string;
}

/** An account's grants (consents), joined with the apps they were given to. */
function grantsOf(executor: Executor, accountId: string) {
  return executor
    .selectFrom('oidc_records')
    .innerJoin('oauth_apps', 'oauth_apps.client_id', 'oidc_records.client_id')
    .where('oidc_records.account_id', '=', accountId)
    .where('oidc_records.model', '=', 'Grant');
}

/** A URI an app may register (redirect, logout): absolute, https (http only to this machine), no fragment. */
function checkAppUri(uri: string, path: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidField(path, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw invalidField(path, 'must use https (http only for localhost)');
  }
  if (url.hash !== '' || uri.includes('#')) throw invalidField(path, 'must not have a fragment');
  if (url.username || url.password) throw invalidField(path, 'must not carry credentials');
}

/**
 * Apps that sign in with Lanyard: registration by staff, and each person's view of the apps they let
 * in, with revocation. The OpenID Connect protocol itself is oidc-provider's (see oidc.ts).
 */
export class AppService {
  constructor(
    private readonly db: Db,
    private readonly provider: Provider,
    private readonly jobs: JobService,
    private readonly sealKey: Buffer,
    private readonly payloadKey: Buffer,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {
    jobs.register(BACKCHANNEL_LOGOUT_JOB, (payload, job) => this.sendBackchannelLogout(payload, job.id));
  }

  /** Registers an app; its secret is shown once. */
  async register(input: { name: string; redirectUris: string[]; scopes: Scope[]; backchannelLogoutUri?: string | undefined }): Promise<RegisteredApp> {
    const name = input.name.normalize('NFC').trim();
    if (name === '' || /\p{Cc}/u.test(name)) throw invalidField('body.name', 'must be a name without control characters');
    input.redirectUris.forEach((uri, index) => checkAppUri(uri, `body.redirectUris.${index}`));
    const backchannelLogoutUri = input.backchannelLogoutUri ?? null;
    if (backchannelLogoutUri !== null) checkAppUri(backchannelLogoutUri, 'body.backchannelLogoutUri');
    if (!input.scopes.includes('openid')) throw invalidField('body.scopes', 'must include openid');
    const clientId = `app_${randomBytes(12).toString('base64url')}`;
    const clientSecret = newToken();
    const now = this.clock.now();
    await this.db
      .insertInto('oauth_apps')
      .values({
        client_id: clientId,
        name,
        redirect_uris: JSON.stringify(input.redirectUris),
        scopes: JSON.stringify(input.scopes),
        secret_sealed: sealText(this.sealKey, clientSecret, appSecretAad(clientId)),
        backchannel_logout_uri: backchannelLogoutUri,
        created_at: now,
      })
      .execute();
    return { clientId, clientSecret, name, redirectUris: input.redirectUris, scopes: input.scopes, backchannelLogoutUri, createdAt: iso(now) };
  }

  /** Deletes the provider's expired records (codes, tokens, sessions, interactions); the hourly sweep calls it. */
  async sweepExpired(): Promise<number> {
    const result = await this.db.deleteFrom('oidc_records').where('expires_at', '<=', Date.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * In the transaction that deletes an account: queues an OpenID back-channel logout to every app the
   * account let in that asked for one, so that the app signs the person out and can drop what it holds.
   * The jobs are not tied to the account (the erasure deletes its jobs), and their payload (the account
   * id, which is the app's `sub`) is sealed and gone once delivered.
   */
  async queueDeletionLogouts(trx: Executor, accountId: string): Promise<void> {
    const apps = await grantsOf(trx, accountId).select('oauth_apps.client_id').distinct().where('oauth_apps.backchannel_logout_uri', 'is not', null).execute();
    for (const { client_id: clientId } of apps) {
      const id = uuidv7();
      const payload = sealJobPayload(this.payloadKey, BACKCHANNEL_LOGOUT_JOB, id, { clientId, sub: accountId });
      await this.jobs.enqueue(trx, { id, kind: BACKCHANNEL_LOGOUT_JOB, payload, accountId: null, maxAttempts: 12 });
    }
  }

  /** The job: a logout token signed by the provider, POSTed to the app; retried until it answers 200 or 204. */
  private async sendBackchannelLogout(payload: unknown, jobId: string): Promise<void> {
    const { clientId, sub } = openJobPayload<{ clientId: string; sub: string }>(this.payloadKey, BACKCHANNEL_LOGOUT_JOB, jobId, payload);
    const client = await this.provider.Client.find(clientId);
    // An app removed since has nobody to tell.
    if (!client?.backchannelLogoutUri) throw new PermanentJobError(`app ${clientId} has no back-channel logout URI`);
    // oidc-provider's Client has backchannelLogout(sub, sid); @types/oidc-provider does not declare it.
    await (client as unknown as { backchannelLogout(sub: string, sid?: string): Promise<void> }).backchannelLogout(sub);
    this.log.info({ clientId }, 'back-channel logout delivered');
  }

  /** The apps an account let in, with the scopes it granted each; newest grant first. */
  async granted(accountId: string): Promise<GrantedApp[]> {
    const rows = await grantsOf(this.db, accountId)
      .select(['oidc_records.client_id', 'oidc_records.payload', 'oauth_apps.name'])
      .where((eb) => eb.or([eb('oidc_records.expires_at', 'is', null), eb('oidc_records.expires_at', '>', Date.now())]))
      .execute();
    const byApp = new Map<string, GrantedApp>();
    for (const row of rows) {
      const grant = JSON.parse(row.payload) as { openid?: { scope?: string }; iat?: number };
      const scopes = (grant.openid?.scope ?? '').split(' ').filter(Boolean);
      const grantedAt = iso((grant.iat ?? 0) * 1000);
      const known = byApp.get(row.client_id!);
      byApp.set(row.client_id!, {
        clientId: row.client_id!,
        name: row.name,
        scopes: [...new Set([...(known?.scopes ?? []), ...scopes])],
        grantedAt: known && known.grantedAt > grantedAt ? known.grantedAt : grantedAt,
      });
    }
    return [...byApp.values()].sort((a, b) => b.grantedAt.localeCompare(a.grantedAt));
  }

  /**
   * Revokes an app's access to an account: its consent (grants), authorization codes, access and
   * refresh tokens, in one statement. The next sign-in with the app asks for consent again.
   */
  async revoke(accountId: string, clientId: string): Promise<void> {
    const result = await this.db.deleteFrom('oidc_records').where('account_id', '=', accountId).where('client_id', '=', clientId).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new AppError('not_found', 'This account has not let that app in');
  }
}
