import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Clock } from '../clock.js';
import { openText, sealText } from '../crypto/sealing.js';
import type { BootloaderKeyRow, BootloaderRepository } from './repository.js';

const keyAad = (kid: string) => `bootloader-signing-key/v1\u0000${kid}`;
const FIRST_KID = 'bootloader-key-1';
/** How long an old key stays published after a rotation: bootloaders that cached it fetch the new one meanwhile. */
export const DEFAULT_BOOTLOADER_RETIRE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export interface PublishedKey {
  kid: string;
  alg: 'Ed25519';
  /** The raw 32-byte public key, base64url. */
  publicKey: string;
}

/**
 * The Ed25519 keys that sign bootloader unlock statements, sealed in the database (like the OpenID
 * provider's keys) so that every server process signs with the same key. The first is made on first
 * use; a rotation adds a key that signs at once, and the others stay published until they retire.
 */
export class BootloaderKeys {
  constructor(private readonly deps: { repository: BootloaderRepository; sealKey: Buffer; clock: Clock }) {}

  private newKey(kid: string, now: number): BootloaderKeyRow {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    // The JWK's x is exactly the raw 32-byte public key, base64url: what a bootloader stores.
    const raw = publicKey.export({ format: 'jwk' }).x!;
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    return {
      kid,
      public_key: raw,
      private_key_sealed: sealText(this.deps.sealKey, pkcs8, keyAad(kid)),
      created_at: now,
      retire_at: null,
    };
  }

  private async rows(): Promise<BootloaderKeyRow[]> {
    const now = this.deps.clock.now();
    let rows = await this.deps.repository.publishedKeys(now);
    if (rows.length === 0) {
      await this.deps.repository.addKey(this.newKey(FIRST_KID, now));
      rows = await this.deps.repository.publishedKeys(now);
    }
    return rows;
  }

  /** Every published key, the signing one first. */
  async published(): Promise<PublishedKey[]> {
    return (await this.rows()).map((row) => ({ kid: row.kid, alg: 'Ed25519', publicKey: row.public_key }));
  }

  /** The key that signs now: the newest one not retiring. */
  async signing(): Promise<{ kid: string; privateKey: KeyObject }> {
    const rows = await this.rows();
    const row = rows.find((r) => r.retire_at === null) ?? rows[0]!;
    const der = Buffer.from(openText(this.deps.sealKey, row.private_key_sealed, keyAad(row.kid)), 'base64');
    return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
  }

  /** Adds a key that signs from now on; the others stay published for retireAfterMs. */
  async rotate(options: { retireAfterMs?: number } = {}): Promise<{ kid: string; retireAt: number }> {
    const now = this.deps.clock.now();
    await this.rows(); // the first key exists before it is retired
    const kid = `bootloader-key-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
    await this.deps.repository.addKey(this.newKey(kid, now));
    const retireAt = now + (options.retireAfterMs ?? DEFAULT_BOOTLOADER_RETIRE_AFTER_MS);
    await this.deps.repository.retireOthers(kid, retireAt);
    return { kid, retireAt };
  }
}
