import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 4 KiB at a time: a request id needs 10, and asking the system for 10 bytes on
// every request (the uuidv7 package does) cost more than formatting the whole id.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A request id: a UUID version 7 (RFC 9562), the millisecond it was made in its first 48 bits and 74
 * random bits, so that ids from several processes neither collide nor need coordination, and sort by time
 * (to the millisecond).
 */
export function requestId(): string {
  if (offset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const r = offset;
  offset += 10;
  const time = Date.now().toString(16).padStart(12, '0');
  return (
    `${time.slice(0, 8)}-${time.slice(8, 12)}-` +
    // Version 7, then 12 random bits.
    `7${HEX[pool[r]! & 0x0f]!.slice(1)}${HEX[pool[r + 1]!]}-` +
    // The variant (binary 10), then 62 random bits.
    `${HEX[(pool[r + 2]! & 0x3f) | 0x80]}${HEX[pool[r + 3]!]}-` +
    `${HEX[pool[r + 4]!]}${HEX[pool[r + 5]!]}${HEX[pool[r + 6]!]}${HEX[pool[r + 7]!]}${HEX[pool[r + 8]!]}${HEX[pool[r + 9]!]}`
  );
}
