import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

/** Random pixels, so that every image is distinct and its bytes are a run found nowhere else. */
function noise(width: number, height: number) {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
}

/** A real image of the given format, made with sharp. */
export async function makeImage(format: 'jpeg' | 'png' | 'webp' | 'gif', width = 64, height = 48): Promise<Buffer> {
  const image = noise(width, height);
  if (format === 'jpeg') return image.jpeg({ quality: 90 }).toBuffer();
  if (format === 'png') return image.png().toBuffer();
  if (format === 'webp') return image.webp().toBuffer();
  return image.gif({ colours: 16, effort: 1, dither: 0 }).toBuffer();
}

/** A JPEG of at least `bytes` bytes (random pixels barely compress). */
export async function makeLargeJpeg(bytes: number): Promise<Buffer> {
  const side = Math.ceil(Math.sqrt(bytes / 1.3));
  const jpeg = await noise(side, side).jpeg({ quality: 100 }).toBuffer();
  if (jpeg.length < bytes) throw new Error(`made ${jpeg.length} bytes, wanted ${bytes}`);
  return jpeg;
}

/**
 * The start of a HEIC file (an ISO box `ftyp` with brand heic) followed by random bytes: what an iPhone
 * sends, as far as sniffing can tell. sharp's prebuilt libvips cannot decode HEVC, real or not.
 */
export function makeHeic(bytes = 4096): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypheic', 4, 'latin1');
  ftyp.writeUInt32BE(0, 12);
  ftyp.write('mif1heic', 16, 'latin1');
  return Buffer.concat([ftyp, randomBytes(bytes - ftyp.length)]);
}

/** A JPEG of exactly `bytes` bytes: a real small JPEG padded after its end marker, which decoders ignore. */
export async function makeJpegOfSize(bytes: number): Promise<Buffer> {
  const jpeg = await makeImage('jpeg', 16, 16);
  if (jpeg.length > bytes) throw new Error('too small a size for a JPEG');
  return Buffer.concat([jpeg, randomBytes(bytes - jpeg.length)]);
}
