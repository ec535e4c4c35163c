import sharp from 'sharp';
import type { Readable, Transform } from 'node:stream';

// libvips' operation cache keeps decoded images around for reuse; photos are decoded once each, so the
// cache would only hold memory.
sharp.cache(false);

/** The longest side of a thumbnail, in pixels: enough for a gallery grid on a high-density screen. */
export const THUMBNAIL_SIZE = 320;

/**
 * Renders a WebP thumbnail from a sealed photo as it streams out of `opener`. Resolves to undefined when
 * the image cannot be decoded (HEIC: the libvips that sharp ships has no HEVC decoder), and rejects when
 * reading or opening the blob fails, so that the job retries a store that was down.
 */
export async function renderThumbnail(source: Readable, opener: Transform): Promise<Buffer | undefined> {
  const image = sharp({ failOn: 'error', limitInputPixels: 100_000_000, sequentialRead: true })
    .rotate()
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 70 });
  let sourceError: Error | undefined;
  // sharp waits for the end of its input before it decodes: a read that fails must end that input, or
  // the job would wait for ever. The result is then thrown away in favour of the read's error.
  const fail = (error: Error) => {
    if (sourceError) return;
    sourceError = error;
    source.unpipe(opener);
    source.destroy();
    opener.unpipe(image);
    image.end();
  };
  source.once('error', fail);
  opener.once('error', fail);
  source.pipe(opener).pipe(image);
  try {
    const thumbnail = await image.toBuffer();
    if (sourceError) throw sourceError;
    return thumbnail;
  } catch (error) {
    if (sourceError) throw sourceError;
    void error;
    return undefined;
  }
}
