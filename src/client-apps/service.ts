import type { FastifyBaseLogger } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import { sealText } from '../crypto/sealing.js';
import { newToken } from '../crypto/tokens.js';
import type { Executor } from '../db/schema.js';
import type { SecurityEventService } from '../events/service.js';
import { invalidField, AppError } from '../http/errors.js';
import type { JobPayloads } from '../jobs/kinds.js';
import { openJobPayload, sealJobPayload } from '../jobs/sealed-payload.js';
import { PermanentJobError, type JobService } from '../jobs/service.js';
import { appSecretAad, clientMetadata } from './adapter.js';
import type { OidcHost } from './host.js';
import { LOOPBACK_HOSTS } from './oidc.js';
import type { ClientAppRepository, AppRow, AppUpdate } from './repository.js';
import type { Scope } from './scopes.js';

const BACKCHANNEL_LOGOUT_JOB = 'apps.backchannel_logout';

export type AppType = 'web' | 'native' | 'spa';

/** An app as staff see it. */
export interface AppView {
  clientId: string;
  name: string;
  type: AppType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: Scope[];
  firstParty: boolean;
  backchannelLogoutUri: string | null;
  logoUri: string | null;
  requireDpop: boolean;
  requirePar: boolean;
  disabled: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  accounts?: number;
}

export interface RegisteredApp extends AppView {
  /** Shown once; null for public apps (native, spa), which have none. */
  clientSecret: string | null;
}

export interface AppInput {
  name: string;
  type?: AppType | undefined;
  redirectUris: string[];
  postLogoutRedirectUris?: string[] | undefined;
  scopes: Scope[];
  firstParty?: boolean | undefined;
  backchannelLogoutUri?: string | null | undefined;
  logoUri?: string | null | undefined;
  requireDpop?: boolean | undefined;
  requirePar?: boolean | undefined;
}

export interface GrantedApp {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: string;
  /** When the app last got a token for this account (signing in, or refreshing its access); null when never since the grant. */
  lastUsedAt: string | null;
}

/** A URI a web page may use (redirect, logout, logo): absolute, https (http only to this machine), no fragment. */
function checkWebUri(uri: string, path: string): URL {
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
  return url;
}

/**
 * A native app's redirect URI (RFC 8252): a private-use scheme named after a domain the maker owns
 * (com.example.notes:/cb), a claimed https URI, or http on the loopback address (any port at use).
 */
function checkNativeUri(uri: string, path: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalidField(path, 'must be an absolute URI');
  if (scheme === 'http' || scheme === 'https') {
    checkWebUri(uri, path);
    return;
  }
  if (!scheme.includes('.'))
    throw invalidField(path, 'a private-use scheme must be a reversed domain name, such as com.example.app (RFC 8252)');
  if (uri.includes('#')) throw invalidField(path, 'must not have a fragment');
}

const bool = (value: number) => value === 1;

/**
 * Apps that sign in with Lanyard: registration by staff, and each person's view of the apps they let
 * in, with revocation. The OpenID Connect protocol itself is oidc-provider's (see oidc.ts).
 */
export class ClientAppService {
  constructor(
    private readonly deps: {
      repository: ClientAppRepository;
      host: OidcHost;
      jobs: JobService;
      events: SecurityEventService;
      sealKey: Buffer;
      payloadKey: Buffer;
      clock: Clock;
      log: FastifyBaseLogger;
    },
  ) {
    deps.host.onProvider((provider) => this.listen(provider));
  }

  /** What the provider tells us: tokens issued (the app's last use), a refresh token used twice. */
  private listen(provider: Provider): void {
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      const clientId = ctx.oidc.client?.clientId;
      if (clientId)
        this.deps.repository
          .touch(clientId, this.deps.clock.now())
          .catch((error: unknown) => this.deps.log.warn({ err: error }, "could not note the app's use"));
    });
    // oidc-provider revokes the whole grant when a rotated (used) refresh token comes back: someone
    // holds a copy of it. The person is told in their activity.
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC) => {
      const token = ctx.oidc.entities.RefreshToken;
      if (ctx.oidc.route !== 'token' || !token?.consumed || !token.accountId) return;
      const origin = { ip: ctx.ip, client: String(ctx.get('user-agent') || 'unknown').slice(0, 200) };
      this.deps.events
        .record(this.deps.repository.db, token.accountId, 'app.refresh_token_reused', origin)
        .catch((error: unknown) => this.deps.log.error({ err: error }, 'could not record a refresh token reuse'));
    });
  }

  private view(row: AppRow, accounts?: number): AppView {
    return {
      clientId: row.client_id,
      name: row.name,
      type: row.type,
      redirectUris: JSON.parse(row.redirect_uris) as string[],
      postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
      scopes: JSON.parse(row.scopes) as Scope[],
      firstParty: bool(row.first_party),
      backchannelLogoutUri: row.backchannel_logout_uri,
      logoUri: row.logo_uri,
      requireDpop: bool(row.require_dpop),
      requirePar: bool(row.require_par),
      disabled: row.disabled_at !== null,
      createdAt: iso(Number(row.created_at)),
      lastUsedAt: row.last_used_at === null ? null : iso(Number(row.last_used_at)),
      ...(accounts === undefined ? {} : { accounts }),
    };
  }

  /** Checks an app's settings as a whole, ours first (clear field paths), then oidc-provider's own validation. */
  private async check(row: AppRow): Promise<void> {
    const name = row.name;
    if (name === '' || /\p{Cc}/u.test(name))
      throw invalidField('body.name', 'must be a name without control characters');
    const redirectUris = JSON.parse(row.redirect_uris) as string[];
    redirectUris.forEach((uri, index) =>
      (row.type === 'native' ? checkNativeUri : checkWebUri)(uri, `body.redirectUris.${index}`),
    );
    (JSON.parse(row.post_logout_redirect_uris) as string[]).forEach((uri, index) =>
      (row.type === 'native' ? checkNativeUri : checkWebUri)(uri, `body.postLogoutRedirectUris.${index}`),
    );
    if (row.backchannel_logout_uri !== null) checkWebUri(row.backchannel_logout_uri, 'body.backchannelLogoutUri');
    // A logo is an image every person's browser loads (the console shows it): https only, even for localhost.
    if (row.logo_uri !== null && checkWebUri(row.logo_uri, 'body.logoUri').protocol !== 'https:')
      throw invalidField('body.logoUri', 'must use https');
    if (!(JSON.parse(row.scopes) as string[]).includes('openid'))
      throw invalidField('body.scopes', 'must include openid');
    try {
      await this.deps.host.provider.Client.validate(
        clientMetadata(row, row.type === 'web' ? 'x'.repeat(43) : undefined) as never,
      );
    } catch (error) {
      throw invalidField(
        'body',
        String((error as { error_description?: string }).error_description ?? (error as Error).message),
      );
    }
  }

  /** Registers an app; a web app's secret is shown once. */
  async register(input: AppInput): Promise<RegisteredApp> {
    const type = input.type ?? 'web';
    const clientId = `app_${randomBytes(12).toString('base64url')}`;
    const clientSecret = type === 'web' ? newToken() : null;
    const row: AppRow = {
      client_id: clientId,
      name: input.name.normalize('NFC').trim(),
      type,
      redirect_uris: JSON.stringify(input.redirectUris),
      post_logout_redirect_uris: JSON.stringify(input.postLogoutRedirectUris ?? []),
      scopes: JSON.stringify(input.scopes),
      secret_sealed: clientSecret === null ? '' : sealText(this.deps.sealKey, clientSecret, appSecretAad(clientId)),
      backchannel_logout_uri: input.backchannelLogoutUri ?? null,
      logo_uri: input.logoUri ?? null,
      first_party: input.firstParty ? 1 : 0,
      require_dpop: input.requireDpop ? 1 : 0,
      require_par: input.requirePar ? 1 : 0,
      disabled_at: null,
      last_used_at: null,
      created_at: this.deps.clock.now(),
    };
    await this.check(row);
    await this.deps.repository.create(row);
    return { ...this.view(row), clientSecret };
  }

  /** Every app, with how many accounts let it in and when it last got tokens. */
  async list(): Promise<AppView[]> {
    return (await this.deps.repository.listWithUsage(Date.now())).map((row) => this.view(row, row.accounts));
  }

  async get(clientId: string): Promise<AppView> {
    const row = await this.deps.repository.get(clientId);
    if (!row) throw new AppError('not_found', 'No app has that client id');
    return this.view(row);
  }

  /** Changes an app's settings; a disabled app can no longer sign anyone in or get tokens. */
  async update(
    clientId: string,
    patch: Partial<Omit<AppInput, 'type'>> & { disabled?: boolean | undefined },
  ): Promise<AppView> {
    const row = await this.deps.repository.get(clientId);
    if (!row) throw new AppError('not_found', 'No app has that client id');
    const changes: AppUpdate = {
      ...(patch.name !== undefined ? { name: patch.name.normalize('NFC').trim() } : {}),
      ...(patch.redirectUris !== undefined ? { redirect_uris: JSON.stringify(patch.redirectUris) } : {}),
      ...(patch.postLogoutRedirectUris !== undefined
        ? { post_logout_redirect_uris: JSON.stringify(patch.postLogoutRedirectUris) }
        : {}),
      ...(patch.scopes !== undefined ? { scopes: JSON.stringify(patch.scopes) } : {}),
      ...(patch.firstParty !== undefined ? { first_party: patch.firstParty ? 1 : 0 } : {}),
      ...(patch.backchannelLogoutUri !== undefined ? { backchannel_logout_uri: patch.backchannelLogoutUri } : {}),
      ...(patch.logoUri !== undefined ? { logo_uri: patch.logoUri } : {}),
      ...(patch.requireDpop !== undefined ? { require_dpop: patch.requireDpop ? 1 : 0 } : {}),
      ...(patch.requirePar !== undefined ? { require_par: patch.requirePar ? 1 : 0 } : {}),
      ...(patch.disabled !== undefined
        ? { disabled_at: patch.disabled ? (row.disabled_at ?? this.deps.clock.now()) : null }
        : {}),
    };
    const next = { ...row, ...changes } as AppRow;
    await this.check(next);
    await this.deps.repository.update(clientId, changes);
    return this.view(next);
  }

  /** Deletes an app: every grant and token it held ends with it. */
  async delete(clientId: string): Promise<void> {
    if (!(await this.deps.repository.delete(clientId))) throw new AppError('not_found', 'No app has that client id');
  }

  /** A new client secret for a web app, shown once; the old one stops working at once. */
  async rotateSecret(clientId: string): Promise<{ clientSecret: string }> {
    const row = await this.deps.repository.get(clientId);
    if (!row) throw new AppError('not_found', 'No app has that client id');
    if (row.type !== 'web')
      throw new AppError('conflict', 'Only web apps have a client secret; native and spa apps are public clients');
    const clientSecret = newToken();
    await this.deps.repository.update(clientId, {
      secret_sealed: sealText(this.deps.sealKey, clientSecret, appSecretAad(clientId)),
    });
    return { clientSecret };
  }

  /** True for the maker's own apps, which skip the consent page. */
  async isFirstParty(clientId: string): Promise<boolean> {
    return (await this.deps.repository.get(clientId))?.first_party === 1;
  }

  /** Deletes the provider's expired records (codes, tokens, sessions, interactions); the hourly sweep calls it. */
  async sweepExpired(): Promise<number> {
    return this.deps.repository.sweepExpired(Date.now());
  }

  /**
   * In the transaction that deletes an account: queues an OpenID back-channel logout to every app the
   * account let in that asked for one, so that the app signs the person out and can drop what it holds.
   * The jobs are not tied to the account (the erasure deletes its jobs), and their payload (the account
   * id, which is the app's `sub`) is sealed and gone once delivered.
   */
  async queueDeletionLogouts(trx: Executor, accountId: string): Promise<void> {
    const apps = await this.deps.repository
      .grantsOf(trx, accountId)
      .select('oauth_apps.client_id')
      .distinct()
      .where('oauth_apps.backchannel_logout_uri', 'is not', null)
      .execute();
    for (const { client_id: clientId } of apps) await this.queueLogout(trx, clientId, accountId);
  }

  /** Notes which Lanyard web session a provider session was just used with (see endWebSessions). */
  async linkWebSession(providerSessionUid: string, webSessionId: string): Promise<void> {
    await this.deps.repository.linkWebSession(providerSessionUid, webSessionId);
  }

  /**
   * In the transaction that ends Lanyard web sessions (sign-out, a session ended from the list, every
   * other session ended, a lock, a new password): the provider sessions used with them end too, as an
   * RP-initiated logout would end them (OpenID Back-Channel Logout 1.0). Each app signed in through
   * one is sent a logout token with that session's sid, as a durable job; the grants whose tokens live
   * with the session (everything but offline_access, which the person allowed "while you are away")
   * end with their codes and tokens. A re-authentication only replaces the web session: the provider
   * sessions follow the new one.
   */
  async endWebSessions(
    executor: Executor,
    accountId: string,
    ended: { ids: string[]; replacedBy?: string },
  ): Promise<void> {
    if (ended.replacedBy) {
      await this.deps.repository.moveWebSessions(executor, ended.ids, ended.replacedBy);
      return;
    }
    for (const session of await this.deps.repository.providerSessionsOf(executor, accountId, ended.ids)) {
      const { authorizations = {} } = JSON.parse(session.payload) as {
        authorizations?: Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;
      };
      const told = new Set(await this.deps.repository.withBackchannelLogout(executor, Object.keys(authorizations)));
      for (const [clientId, { sid, grantId, persistsLogout }] of Object.entries(authorizations)) {
        if (grantId && !persistsLogout) await this.deps.repository.endGrant(executor, grantId);
        if (told.has(clientId)) await this.queueLogout(executor, clientId, accountId, sid);
      }
      // Tokens that expire with the session (oidc-provider's expiresWithSession) end with its record.
      await this.deps.repository.deleteRecord(executor, 'Session', session.id);
    }
  }

  private async queueLogout(executor: Executor, clientId: string, accountId: string, sid?: string): Promise<void> {
    const id = uuidv7();
    const payload = sealJobPayload(this.deps.payloadKey, BACKCHANNEL_LOGOUT_JOB, id, {
      clientId,
      sub: accountId,
      ...(sid ? { sid } : {}),
    });
    await this.deps.jobs.enqueue(executor, {
      id,
      kind: BACKCHANNEL_LOGOUT_JOB,
      payload,
      accountId: null,
      maxAttempts: 12,
    });
  }

  /** The job: a logout token signed by the provider, POSTed to the app; retried until it answers 200 or 204. */
  async sendBackchannelLogout(payload: JobPayloads['apps.backchannel_logout'], jobId: string): Promise<void> {
    const { clientId, sub, sid } = openJobPayload(this.deps.payloadKey, BACKCHANNEL_LOGOUT_JOB, jobId, payload);
    const client = await this.deps.host.provider.Client.find(clientId);
    // An app removed since has nobody to tell.
    if (!client?.backchannelLogoutUri) throw new PermanentJobError(`app ${clientId} has no back-channel logout URI`);
    // oidc-provider's Client has backchannelLogout(sub, sid); @types/oidc-provider does not declare it.
    // With a sid, the one session that ended; without, every session of the person (revoked, deleted).
    await (client as unknown as { backchannelLogout(sub: string, sid?: string): Promise<void> }).backchannelLogout(
      sub,
      sid,
    );
    this.deps.log.info({ clientId }, 'back-channel logout delivered');
  }

  /** The apps an account let in, with the scopes it granted each; newest grant first. */
  async granted(accountId: string): Promise<GrantedApp[]> {
    const rows = await this.deps.repository
      .grantsOf(this.deps.repository.db, accountId)
      .select(['oidc_records.client_id', 'oidc_records.payload', 'oauth_apps.name'])
      .where((eb) => eb.or([eb('oidc_records.expires_at', 'is', null), eb('oidc_records.expires_at', '>', Date.now())]))
      .execute();
    const byApp = new Map<string, GrantedApp>();
    for (const row of rows) {
      const grant = JSON.parse(row.payload) as {
        openid?: { scope?: string };
        resources?: Record<string, string>;
        iat?: number;
      };
      const scopes = [grant.openid?.scope ?? '', ...Object.values(grant.resources ?? {})]
        .join(' ')
        .split(' ')
        .filter(Boolean);
      const grantedAt = iso((grant.iat ?? 0) * 1000);
      const known = byApp.get(row.client_id!);
      byApp.set(row.client_id!, {
        clientId: row.client_id!,
        name: row.name,
        scopes: [...new Set([...(known?.scopes ?? []), ...scopes])],
        grantedAt: known && known.grantedAt > grantedAt ? known.grantedAt : grantedAt,
        lastUsedAt: null,
      });
    }
    // "Last used", per person: the newest token the app was issued for this account (the app's own
    // last_used_at counts every account's use).
    for (const token of await this.deps.repository.tokensOf(accountId)) {
      const app = token.client_id ? byApp.get(token.client_id) : undefined;
      const iat = (JSON.parse(token.payload) as { iat?: number }).iat;
      if (!app || typeof iat !== 'number') continue;
      const at = iso(iat * 1000);
      if (app.lastUsedAt === null || at > app.lastUsedAt) app.lastUsedAt = at;
    }
    return [...byApp.values()].sort((a, b) => b.grantedAt.localeCompare(a.grantedAt));
  }

  /**
   * Revokes an app's access to an account: its consent (grants), authorization codes, access and
   * refresh tokens, in one statement; an app that registered a back-channel logout URI is told to sign
   * the person out. The next sign-in with the app asks for consent again.
   */
  async revoke(accountId: string, clientId: string): Promise<void> {
    const app = await this.deps.repository.get(clientId);
    if ((await this.deps.repository.revoke(accountId, clientId)) === 0)
      throw new AppError('not_found', 'This account has not let that app in');
    if (app?.backchannel_logout_uri) await this.queueLogout(this.deps.repository.db, clientId, accountId);
  }
}
