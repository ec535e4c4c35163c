import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../http/errors.js';

// A cursor is the position in an account's change counter up to which a device has synced one
// collection. It travels through the client as an opaque string: version ‖ seq (u64) ‖ MAC, where the MAC
// also covers the account and the collection, so that a cursor cannot be forged, altered, or replayed on
// another collection or account.

const VERSION = 1;
const MAC_BYTES = 16;
const CURSOR_BYTES = 1 + 8 + MAC_BYTES;

function mac(key: Buffer, accountId: string, collection: string, seq: bigint): Buffer {
  return createHmac('sha256', key)
    .update(`cloud-cursor\u0000${accountId}\u0000${collection}\u0000${seq}`)
    .digest()
    .subarray(0, MAC_BYTES);
}

/**
 * The newest-first listing (`order=newest`) pages down the same counter: its cursor stands for the last
 * seq given, under its own tag, so that neither kind of cursor is taken for the other.
 */
export const NEWEST = (collection: string) => `${collection}\u0000newest`;

/** The cursor a device sends back to get what changed after `seq`. */
export function encodeCursor(key: Buffer, accountId: string, collection: string, seq: number): string {
  const out = Buffer.alloc(CURSOR_BYTES);
  out[0] = VERSION;
  out.writeBigUInt64BE(BigInt(seq), 1);
  mac(key, accountId, collection, BigInt(seq)).copy(out, 9);
  return out.toString('base64url');
}

/** The seq a cursor stands for; throws cursor_invalid (400) for anything this server did not give out. */
export function decodeCursor(key: Buffer, accountId: string, collection: string, cursor: string): number {
  const invalid = () =>
    new AppError(
      'cursor_invalid',
      'The cursor in "since" is not one this server gave out for this collection; sync again without "since"',
      {
        errors: [{ path: 'querystring.since', message: 'is not a valid cursor' }],
      },
    );
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid();
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length !== CURSOR_BYTES || raw[0] !== VERSION) throw invalid();
  const seq = raw.readBigUInt64BE(1);
  if (!timingSafeEqual(raw.subarray(9), mac(key, accountId, collection, seq))) throw invalid();
  if (seq > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid();
  return Number(seq);
}
