import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { AccountService } from '../accounts/service.js';
import type { AppTokenAuthenticator, AppTokenContext } from '../http/auth.js';
import type { OidcHost } from './host.js';
import type { AppRepository } from './repository.js';

/**
 * Verifies an app's access token for Lanyard's own API: a JWT (RFC 9068) signed by one of the
 * provider's published keys, for the API's resource indicator. Offline like any resource server, plus
 * two checks only we can make: the account is still active and still lets the app in (a revoked app's
 * tokens stop at once here, and at their expiry, 15 minutes, elsewhere).
 */
export class AppTokenVerifier implements AppTokenAuthenticator {
  private jwks: { fingerprint: JSONWebKeySet; verify: ReturnType<typeof createLocalJWKSet> } | undefined;

  constructor(private readonly deps: { host: OidcHost; repository: AppRepository; accounts: AccountService; apiResource: string }) {}

  private keySet() {
    const published = this.deps.host.publicJwks;
    if (this.jwks?.fingerprint !== published) this.jwks = { fingerprint: published, verify: createLocalJWKSet(published) };
    return this.jwks.verify;
  }

  async verify(token: string): Promise<AppTokenContext | undefined> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(), { issuer: this.deps.host.issuer, audience: this.deps.apiResource, typ: 'at+jwt', algorithms: ['RS256'] }));
    } catch {
      return undefined;
    }
    const { sub, client_id: clientId, scope, cnf } = payload as { sub?: string; client_id?: string; scope?: string; cnf?: unknown };
    // A token bound to a key (DPoP) needs its proof, which Lanyard's API does not check yet: refused.
    if (typeof sub !== 'string' || typeof clientId !== 'string' || cnf !== undefined) return undefined;
    const account = await this.deps.accounts.get(sub);
    if (!account || account.status !== 'active') return undefined;
    if (!(await this.deps.repository.hasLiveGrant(sub, clientId, Date.now()))) return undefined;
    return { account, clientId, scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [], tokenId: typeof payload.jti === 'string' ? payload.jti : '' };
  }
}
