import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { openStream, sealedSize, sealStream } from './stream-sealing.js';

const key = randomBytes(32);
const seal = (plaintext: Buffer, aad = 'blob-1', chunk = 1024, pieces = 7) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < plaintext.length; at += pieces) parts.push(plaintext.subarray(at, at + pieces));
  return buffer(Readable.from(parts).pipe(sealStream(key, aad, chunk)));
};
const open = (sealed: Buffer, aad = 'blob-1', pieces = 13) => {
  const parts: Buffer[] = [];
  for (let at = 0; at < sealed.length; at += pieces) parts.push(sealed.subarray(at, at + pieces));
  return buffer(Readable.from(parts).pipe(openStream(key, aad)));
};

describe('streaming encryption in chunks', () => {
  test('round-trips any length, split anywhere, with the size it announces', async () => {
    for (const length of [0, 1, 1023, 1024, 1025, 2048, 5000]) {
      const plaintext = randomBytes(length);
      const sealed = await seal(plaintext);
      assert.equal(sealed.length, sealedSize(length, 1024), `length ${length}`);
      assert.ok((await open(sealed)).equals(plaintext), `length ${length}`);
      // Only a run of 16 bytes says anything: a shorter one turns up in random ciphertext by chance (one
      // byte does in about one stream of eight), which made this test fail now and then.
      if (length >= 16)
        assert.ok(!sealed.includes(plaintext.subarray(0, 16)), `length ${length}: plaintext shows through`);
    }
  });

  test('refuses altered bytes, other associated data, dropped or reordered chunks, and a cut end', async () => {
    const plaintext = randomBytes(4000);
    const sealed = await seal(plaintext);
    const frame = 12 + 1024 + 16;
    const altered = Buffer.from(sealed);
    altered[500] = altered[500]! ^ 1;
    await assert.rejects(open(altered));
    await assert.rejects(open(sealed, 'blob-2'));
    const header = sealed.subarray(0, 8);
    const frames = [0, 1, 2, 3].map((i) => sealed.subarray(8 + i * frame, 8 + (i + 1) * frame));
    await assert.rejects(open(Buffer.concat([header, frames[1]!, frames[0]!, frames[2]!, frames[3]!])), 'reordered');
    await assert.rejects(open(Buffer.concat([header, frames[0]!, frames[1]!, frames[2]!])), 'last chunk dropped');
    await assert.rejects(open(sealed.subarray(0, sealed.length - 1)), 'cut');
    await assert.rejects(open(header), 'header only');
    await assert.rejects(open(Buffer.from('not sealed at all')));
  });
});
