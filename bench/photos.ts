import { createHash, randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { BENCH_USER_AGENT } from './seed.js';

/**
 * Photos for the cloud bench: one real 12-megapixel JPEG (a gradient with grain, about what a phone
 * camera writes), made once, then told apart by a comment segment that numbers it and pads it to the
 * exact size. Every photo is a valid JPEG that the server's sniffing accepts and sharp decodes for its
 * thumbnail, and no two are byte-identical.
 */
export class BenchPhotos {
  private constructor(
    private readonly head: Buffer,
    private readonly tail: Buffer,
    private readonly padding: Buffer,
    readonly bytes: number,
  ) {}

  static async make(bytes: number): Promise<BenchPhotos> {
    const width = 4032;
    const height = 3024;
    const grain = randomBytes(width * height * 3);
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        raw[i] = Math.min(255, (x * 178) / width + (grain[i]! % 30));
        raw[i + 1] = Math.min(255, (y * 178) / height + (grain[i + 1]! % 30));
        raw[i + 2] = Math.min(255, ((x + y) * 128) / (width + height) + (grain[i + 2]! % 30));
      }
    }
    // The quality that leaves room for the numbering segment; the rest is padding in comment segments.
    for (const quality of [88, 84, 80, 70, 60]) {
      const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } })
        .jpeg({ quality })
        .toBuffer();
      if (jpeg.length > bytes - 1024) continue;
      // After SOI and the JFIF APP0 segment, where comments belong.
      const at = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
      return new BenchPhotos(jpeg.subarray(0, at), jpeg.subarray(at), randomBytes(bytes), bytes);
    }
    throw new Error(`cannot make a JPEG under ${bytes} bytes`);
  }

  /** Photo number `n`, exactly `bytes` long. */
  photo(n: number): Buffer {
    let remaining = this.bytes - this.head.length - this.tail.length;
    const segments: Buffer[] = [];
    let offset = 0;
    while (remaining > 0) {
      // A comment segment takes 4 bytes of marker and length plus at most 65,533 of text.
      let take = Math.min(65_537, remaining);
      if (remaining - take > 0 && remaining - take < 4) take -= 4;
      const segment = Buffer.alloc(take);
      segment.writeUInt16BE(0xfffe, 0);
      segment.writeUInt16BE(take - 2, 2);
      this.padding.copy(segment, 4, offset, offset + take - 4);
      offset += take - 4;
      segments.push(segment);
      remaining -= take;
    }
    segments[0]!.write(`lanyard bench photo ${n} ${randomBytes(8).toString('hex')}`, 4, 'latin1');
    return Buffer.concat([this.head, ...segments, this.tail]);
  }
}

export const sha256Hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `PUT /v1/cloud/photos/{id}` with the bytes as a JPEG, as a phone uploads one; throws unless it answers 200. */
export async function uploadPhoto(baseUrl: string, token: string, id: string, bytes: Buffer): Promise<void> {
  const response = await fetch(new URL(`/v1/cloud/photos/${id}`, baseUrl), {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg', 'user-agent': BENCH_USER_AGENT },
    body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) as Uint8Array<ArrayBuffer>,
  });
  if (response.status !== 200) throw new Error(`photo ${id} answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
}
