import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, EmbeddedJWK, jwtVerify, type JSONWebKeySet, type JWK } from 'jose';
import type { AccountService } from '../accounts/service.js';
import type { AppTokenAuthenticator, ClientAppTokenContext, PresentedAppToken } from '../http/auth.js';
import type { OidcHost } from './host.js';
import { GRANT_CLAIM } from './oidc.js';
import type { ClientAppRepository } from './repository.js';

/** The signature algorithms a DPoP proof may use (those oidc-provider takes at its own endpoints). */
const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'EdDSA', 'Ed25519'];
/** How old a DPoP proof may be, in seconds (RFC 9449 11.1: a short window), and how far a clock may be ahead. */
const PROOF_MAX_AGE_S = 300;
const PROOF_CLOCK_SKEW_S = 60;

/**
 * Verifies an app's access token for Lanyard's own API: a JWT (RFC 9068) signed by one of the
 * provider's published keys, for the API's resource indicator. Offline like any resource server, plus
 * two checks only we can make: the account is still active and the grant the token was issued under
 * still lives (a revoked app's tokens, or those of a web session that ended, stop at once here, and at
 * their expiry, 15 minutes, elsewhere). A token bound to a key (DPoP, RFC 9449) comes with the DPoP
 * scheme and a proof of that key for this very request; an unbound one with Bearer.
 */
export class ClientAppTokenVerifier implements AppTokenAuthenticator {
  private jwks: { fingerprint: JSONWebKeySet; verify: ReturnType<typeof createLocalJWKSet> } | undefined;
  // The proofs seen within their window: a proof is good for one request (RFC 9449 11.1). Kept in this
  // process; behind a load balancer a copied proof could be played once more on another process within
  // five minutes, for the same method and URL, and only with the token it was made for.
  private readonly seenProofs = new Map<string, number>();

  constructor(
    private readonly deps: {
      host: OidcHost;
      repository: ClientAppRepository;
      accounts: AccountService;
      apiResource: string;
    },
  ) {}

  private keySet() {
    const published = this.deps.host.publicJwks;
    if (this.jwks?.fingerprint !== published)
      this.jwks = { fingerprint: published, verify: createLocalJWKSet(published) };
    return this.jwks.verify;
  }

  async verify(presented: PresentedAppToken): Promise<ClientAppTokenContext | undefined> {
    let payload;
    try {
      ({ payload } = await jwtVerify(presented.token, this.keySet(), {
        issuer: this.deps.host.issuer,
        audience: this.deps.apiResource,
        typ: 'at+jwt',
        algorithms: ['RS256'],
      }));
    } catch {
      return undefined;
    }
    const {
      sub,
      client_id: clientId,
      scope,
      cnf,
      [GRANT_CLAIM]: grantId,
    } = payload as {
      sub?: string;
      client_id?: string;
      scope?: string;
      cnf?: { jkt?: unknown };
      [GRANT_CLAIM]?: unknown;
    };
    if (typeof sub !== 'string' || typeof clientId !== 'string') return undefined;
    if (
      cnf === undefined
        ? presented.scheme !== 'Bearer'
        : presented.scheme !== 'DPoP' || typeof cnf.jkt !== 'string' || !(await this.proofHolds(presented, cnf.jkt))
    )
      return undefined;
    const account = await this.deps.accounts.get(sub);
    if (!account || account.status !== 'active') return undefined;
    if (
      !(await this.deps.repository.hasLiveGrant(
        sub,
        clientId,
        Date.now(),
        typeof grantId === 'string' ? grantId : undefined,
      ))
    )
      return undefined;
    return {
      account,
      clientId,
      scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
      tokenId: typeof payload.jti === 'string' ? payload.jti : '',
    };
  }

  /** RFC 9449 4.3: a fresh proof, signed by the token's key, for this method and URL and this token, used once. */
  private async proofHolds(presented: PresentedAppToken, jkt: string): Promise<boolean> {
    if (!presented.proof) return false;
    let proof: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      proof = await jwtVerify(presented.proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: DPOP_ALGORITHMS,
        maxTokenAge: PROOF_MAX_AGE_S,
        clockTolerance: PROOF_CLOCK_SKEW_S,
      });
    } catch {
      return false;
    }
    const jwk = proof.protectedHeader.jwk as JWK | undefined;
    if (!jwk || 'd' in jwk || (await calculateJwkThumbprint(jwk)) !== jkt) return false;
    const { htm, htu, ath, jti } = proof.payload as { htm?: unknown; htu?: unknown; ath?: unknown; jti?: unknown };
    if (htm !== presented.method || typeof htu !== 'string' || typeof jti !== 'string' || jti.length > 200)
      return false;
    const expected = new URL(presented.path, this.deps.host.issuer);
    let claimed: URL;
    try {
      claimed = new URL(htu);
    } catch {
      return false;
    }
    if (`${claimed.origin}${claimed.pathname}` !== `${expected.origin}${expected.pathname}`) return false;
    if (ath !== createHash('sha256').update(presented.token).digest('base64url')) return false;
    const now = Date.now();
    // Kept in the order seen, which is the order they expire in: drop from the front.
    for (const [seen, until] of this.seenProofs) {
      if (until >= now) break;
      this.seenProofs.delete(seen);
    }
    const key = `${jkt}\u0000${jti}`;
    if (this.seenProofs.has(key)) return false;
    this.seenProofs.set(key, now + (PROOF_MAX_AGE_S + PROOF_CLOCK_SKEW_S) * 1000);
    return true;
  }
}
