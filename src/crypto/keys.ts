import { hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Keys derived from the master key, one per purpose, so that no key serves two. */
export interface ServerKeys {
  /** HMAC key for verification codes. */
  readonly verificationCode: Buffer;
  /** HMAC key for blind indexes of emails, phones and other lookups. */
  readonly lookup: Buffer;
  /** HMAC key for CSRF tokens derived from sessions. */
  readonly csrf: Buffer;
  /** HMAC key for rate-limit keys, so Redis never holds a raw email or phone. */
  readonly rateLimit: Buffer;
  /** AES key for job payloads, which may carry a code on its way to the person. */
  readonly jobPayload: Buffer;
  /** HMAC key for cloud sync cursors, so that a cursor cannot be forged or altered. */
  readonly cursor: Buffer;
  /** HMAC key that signs captcha challenges (ALTCHA), so that a solved challenge cannot be forged. */
  readonly captcha: Buffer;
  /** AES key for what an unlock request's sender gave (email, proof): they have no account, so no data key. */
  readonly unlockRequest: Buffer;
  /** AES key for app secrets and the OpenID provider's signing keys. */
  readonly oidc: Buffer;
  /** AES key that seals the bootloader unlock signing keys. */
  readonly bootloader: Buffer;
  /** HMAC key that signs the OpenID provider's cookies. */
  readonly oidcCookie: Buffer;
  /** AES key that seals the undo links of address changes (they name both addresses). */
  readonly addressChangeUndo: Buffer;
  /** HMAC key of the "Lock my account" link tokens: the table keeps only their keyed hashes. */
  readonly accountLockLink: Buffer;
  /** The master key itself, for wrapping per-account data keys. */
  readonly master: Buffer;
}

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `lanyard/${purpose}/v1`, 32));
}

/** Derives every purpose key from a 32-byte master key. */
export function deriveServerKeys(master: Buffer): ServerKeys {
  return Object.freeze({
    verificationCode: derive(master, 'verification-code'),
    lookup: derive(master, 'lookup'),
    csrf: derive(master, 'csrf'),
    rateLimit: derive(master, 'rate-limit'),
    jobPayload: derive(master, 'job-payload'),
    cursor: derive(master, 'cloud-cursor'),
    captcha: derive(master, 'captcha'),
    unlockRequest: derive(master, 'unlock-request'),
    oidc: derive(master, 'oidc'),
    oidcCookie: derive(master, 'oidc-cookie'),
    bootloader: derive(master, 'bootloader'),
    addressChangeUndo: derive(master, 'address-change-undo'),
    accountLockLink: derive(master, 'account-lock-link'),
    master,
  });
}

/**
 * Reads the master key file in the data folder, creating it (0600) on first start.
 * Kept apart from the database so that a database backup alone does not hold the keys that open it.
 */
export function loadOrCreateMasterKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'master.key');
  // The data folder holds keys and personal data: only the server's user may enter it.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const existing = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (existing.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  // 'wx' fails if another process created it first; then read theirs so both agree.
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateMasterKey(dataDir);
    throw error;
  }
}
