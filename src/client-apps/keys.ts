import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../clock.js';
import { openText, sealText } from '../crypto/sealing.js';
import type { ClientAppRepository } from './repository.js';

const signingKeyAad = (id: string) => `oidc-signing-key/v1\u0000${id}`;
const FIRST_KEY_ID = 'signing-key-1';

/** How long a new key is published before it signs: relying parties refresh their cached JWKS meanwhile. */
export const DEFAULT_SIGN_AFTER_MS = 24 * 60 * 60 * 1000;
/** How long an old key stays published after it stops signing: longer than any token it signed lives. */
export const DEFAULT_RETIRE_AFTER_MS = 2 * 24 * 60 * 60 * 1000;

export type PrivateJwk = Record<string, unknown> & { kid: string };

/** The keys the provider holds now: the one that signs first (oidc-provider signs with the first match), then the others, published. */
export interface KeySet {
  keys: PrivateJwk[];
  signingKid: string;
  /** Changes whenever the set or the signing key changes. */
  fingerprint: string;
}

/**
 * The provider's signing keys (RSA 2048, RS256, which every OpenID client supports), sealed in the
 * database so that every server process signs with the same keys. They rotate: `lanyard keys rotate`
 * adds a key that is published at once, signs after a delay, and the old keys leave the set later.
 */
export class SigningKeys {
  constructor(private readonly deps: { repository: ClientAppRepository; sealKey: Buffer; clock: Clock }) {}

  private async newKey(id: string): Promise<string> {
    // Off the event loop: an RSA key takes 60 to 300 ms to find.
    const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    return sealText(
      this.deps.sealKey,
      JSON.stringify({ ...jwk, kid: id, alg: 'RS256', use: 'sig' }),
      signingKeyAad(id),
    );
  }

  /** The current key set; the first server to start makes the first key. */
  async current(): Promise<KeySet> {
    const now = this.deps.clock.now();
    let rows = await this.deps.repository.signingKeys(now);
    if (rows.length === 0) {
      // Two servers starting at once: one insert wins and both read the winner's key.
      await this.deps.repository.addSigningKey({
        id: FIRST_KEY_ID,
        jwk_sealed: await this.newKey(FIRST_KEY_ID),
        created_at: now,
        sign_from: null,
      });
      rows = await this.deps.repository.signingKeys(now);
    }
    const from = (row: (typeof rows)[number]) => Number(row.sign_from ?? row.created_at);
    // The newest key whose time to sign has come; before any has (clock moved back), the oldest.
    const signing = [...rows].filter((row) => from(row) <= now).sort((a, b) => from(b) - from(a))[0] ?? rows[0]!;
    const ordered = [signing, ...rows.filter((row) => row.id !== signing.id)];
    const keys = ordered.map(
      (row) => JSON.parse(openText(this.deps.sealKey, row.jwk_sealed, signingKeyAad(row.id))) as PrivateJwk,
    );
    return { keys, signingKid: signing.id, fingerprint: ordered.map((row) => row.id).join(',') };
  }

  /** Adds a key that signs after signAfterMs; every other key leaves the set retireAfterMs after that. */
  async rotate(
    options: { signAfterMs?: number; retireAfterMs?: number } = {},
  ): Promise<{ kid: string; signFrom: number; retireAt: number }> {
    const now = this.deps.clock.now();
    const signFrom = now + (options.signAfterMs ?? DEFAULT_SIGN_AFTER_MS);
    const retireAt = signFrom + (options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS);
    const kid = `signing-key-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
    await this.deps.repository.addSigningKey({
      id: kid,
      jwk_sealed: await this.newKey(kid),
      created_at: now,
      sign_from: signFrom,
    });
    await this.deps.repository.retireOthers(kid, retireAt);
    return { kid, signFrom, retireAt };
  }
}
