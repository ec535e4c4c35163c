import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../http/errors.js';

/** The image types a photo may be, as told by its first bytes (never by the client's Content-Type). */
export type ImageType =
  | 'image/jpeg'
  | 'image/png'
  | 'image/gif'
  | 'image/webp'
  | 'image/heic'
  | 'image/heif'
  | 'image/avif';

/** How many leading bytes sniffImage() wants to see. */
export const SNIFF_BYTES = 64;

const ascii = (bytes: Buffer, start: number, end: number) => bytes.subarray(start, end).toString('latin1');
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'heif']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/** Reads the magic number at the start of a file; undefined when it is none of the accepted images. */
export function sniffImage(head: Buffer): ImageType | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (head.length >= 6 && ['GIF87a', 'GIF89a'].includes(ascii(head, 0, 6))) return 'image/gif';
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return 'image/webp';
  // ISO base media file (HEIF family): a box `ftyp` first, its major brand, then compatible brands.
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') {
    const boxEnd = Math.min(head.readUInt32BE(0), head.length);
    const brands = [ascii(head, 8, 12)];
    for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(ascii(head, at, at + 4));
    if (brands.some((b) => HEIC_BRANDS.has(b))) return 'image/heic';
    if (brands.some((b) => AVIF_BRANDS.has(b))) return 'image/avif';
    if (brands.some((b) => HEIF_BRANDS.has(b))) return 'image/heif';
  }
  return undefined;
}

/** What photoIntake() found: the sniffed type (before any byte goes on) and the bytes that went through. */
export interface IntakeReport {
  type: ImageType | undefined;
  bytes: number;
}

/**
 * Passes a photo upload through, in bounded memory: refuses it once it grows past `maxBytes`
 * (payload_too_large), and refuses it unless its first bytes are an accepted image (unsupported_image_type).
 */
export function photoIntake(maxBytes: number, report: IntakeReport): Transform {
  let head: Buffer[] = [];
  let headBytes = 0;
  let total = 0;
  let sniffed = false;
  const decide = (stream: Transform): void => {
    const bytes = Buffer.concat(head);
    head = [];
    const type = sniffImage(bytes);
    if (!type)
      throw new AppError(
        'unsupported_image_type',
        'The bytes sent are not a JPEG, PNG, HEIC, WebP or GIF image (the Content-Type header is not trusted)',
      );
    sniffed = true;
    report.type = type;
    stream.push(bytes);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      report.bytes = total;
      if (total > maxBytes)
        return callback(new AppError('payload_too_large', `A photo may be at most ${maxBytes} bytes`));
      if (sniffed) return callback(null, chunk);
      head.push(chunk);
      headBytes += chunk.length;
      try {
        if (headBytes >= SNIFF_BYTES) decide(this);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!sniffed) decide(this);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
