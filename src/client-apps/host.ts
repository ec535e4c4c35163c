import type { JSONWebKeySet, JWK } from 'jose';
import type { Provider } from 'oidc-provider';
import type { KeySet, SigningKeys } from './keys.js';

/**
 * Holds the running OpenID provider. oidc-provider takes its signing keys once, when it is made; when
 * the key set changes (a rotation by `lanyard keys rotate` in another process, or a new key's time to
 * sign), a provider with the new set replaces it. Everything reads `host.provider` when it needs it.
 */
export class OidcHost {
  private current: Provider | undefined;
  private fingerprint = '';
  private published: JSONWebKeySet = { keys: [] };
  private readonly listeners: Array<(provider: Provider) => void> = [];

  readonly issuer: string;
  private readonly keys: SigningKeys;
  private readonly build: (keys: KeySet) => Promise<Provider>;

  constructor(deps: {
    issuer: string;
    keys: SigningKeys;
    build: (keys: KeySet) => Promise<Provider>;
  }) {
    this.issuer = deps.issuer;
    this.keys = deps.keys;
    this.build = deps.build;
  }

  get provider(): Provider {
    if (!this.current) throw new Error('the OpenID provider is not started');
    return this.current;
  }

  /** The public part of every key the provider publishes (what /oauth/jwks serves). */
  get publicJwks(): JSONWebKeySet {
    return this.published;
  }

  /** Runs for the provider now and for every one that replaces it (event listeners). */
  onProvider(listener: (provider: Provider) => void): void {
    this.listeners.push(listener);
    if (this.current) listener(this.current);
  }

  /** Loads the key set and makes a new provider when it changed; true when it did. */
  async refreshKeys(): Promise<boolean> {
    const set = await this.keys.current();
    if (this.current && set.fingerprint === this.fingerprint) return false;
    const provider = await this.build(set);
    for (const listener of this.listeners) listener(provider);
    this.current = provider;
    this.fingerprint = set.fingerprint;
    this.published = { keys: set.keys.map(({ kid, kty, n, e, alg, use }) => ({ kid, kty, n, e, alg, use }) as JWK) };
    return true;
  }
}
