import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// AES-256-GCM: a fresh 96-bit nonce per message, the tag checked on open. The associated data binds a
// sealed value to where it belongs (its row), so that it cannot be moved to another row and opened there.

const VERSION = 1;

/** Encrypts with AES-256-GCM; the result is version ‖ nonce ‖ tag ‖ ciphertext. */
export function seal(key: Buffer, plaintext: Buffer, associatedData = ''): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]);
}

/** Decrypts what seal() produced; throws if it was altered or sealed for other associated data. */
export function open(key: Buffer, sealed: Buffer, associatedData = ''): Buffer {
  if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error('not a sealed value');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
}

/** seal() for text, as base64 for a text column. */
export function sealText(key: Buffer, plaintext: string, associatedData = ''): string {
  return seal(key, Buffer.from(plaintext, 'utf8'), associatedData).toString('base64');
}

/** open() for text sealed by sealText(). */
export function openText(key: Buffer, sealed: string, associatedData = ''): string {
  return open(key, Buffer.from(sealed, 'base64'), associatedData).toString('utf8');
}
