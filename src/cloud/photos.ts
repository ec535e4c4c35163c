import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The longest side of a thumbnail, in pixels: enough for a gallery grid on a high-density screen. */
export const THUMBNAIL_SIZE = 320;

type Sharp = typeof import('sharp')['default'];
let sharpLoaded: Promise<Sharp> | undefined;

/** sharp (with libvips, some 10 MiB resident) loads with the first thumbnail: many servers never see a photo. */
function loadSharp(): Promise<Sharp> {
  sharpLoaded ??= import('sharp').then(({ default: sharp }) => {
    // libvips' operation cache keeps decoded images around for reuse; photos are decoded once each, so the
    // cache would only hold memory.
    sharp.cache(false);
    return sharp;
  });
  return sharpLoaded;
}

/**
 * A place to make one thumbnail. The opened photo is read whole into the slot's buffer (libvips decodes
 * from memory; sharp's stream input gathers a buffer anyway), and the buffer serves the next photo too: a
 * fresh photo-sized buffer per thumbnail lives long enough to reach V8's old generation and waits there for
 * a late major collection (about 15 MiB more of dead buffers during the cloud bench's uploads). An idle slot
 * lets its buffer go after 30 s.
 */
class ThumbnailSlot {
  private buffer = Buffer.alloc(0);
  private idleTimer: NodeJS.Timeout | undefined;

  /** A buffer for `size` bytes, grown when the photo is larger than any before. */
  take(size: number): Buffer {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafe(size);
    return this.buffer.subarray(0, size);
  }

  idle(): void {
    this.idleTimer = setTimeout(() => {
      this.buffer = Buffer.alloc(0);
    }, 30_000);
    this.idleTimer.unref();
  }
}

// Two thumbnails at a time, whatever the size of the job worker's batch: each holds its photo and the
// decoder's pixels, and libvips already spreads one image over its threads, so more at once only add
// memory (the cloud bench saw eight at once, with the server past 300 MiB).
const idleSlots = [new ThumbnailSlot(), new ThumbnailSlot()];
const waitingForSlot: Array<(slot: ThumbnailSlot) => void> = [];

async function withSlot<T>(work: (slot: ThumbnailSlot) => Promise<T>): Promise<T> {
  const slot = idleSlots.pop() ?? (await new Promise<ThumbnailSlot>((resolve) => waitingForSlot.push(resolve)));
  try {
    return await work(slot);
  } finally {
    const next = waitingForSlot.shift();
    if (next) {
      next(slot);
    } else {
      slot.idle();
      idleSlots.push(slot);
    }
  }
}

export type ThumbnailOutcome = { thumbnail: Buffer } | { skipped: string };

/**
 * Renders a WebP thumbnail from a sealed photo of `size` bytes once opened; `open` gives the blob's stream,
 * or undefined when it is gone. Skips a missing blob and an image that cannot be decoded (HEIC: the libvips
 * that sharp ships has no HEVC decoder); rejects when reading or opening the blob fails, so that the job
 * retries a store that was down.
 */
export function renderThumbnail(
  open: () => Promise<Readable | undefined>,
  opener: Transform,
  size: number,
): Promise<ThumbnailOutcome> {
  return withSlot(async (slot) => {
    const source = await open();
    if (!source) return { skipped: 'the photo blob is missing' };
    const photo = slot.take(size);
    let filled = 0;
    await pipeline(source, opener, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        if (filled + chunk.length > size) throw new Error(`the photo is longer than its recorded ${size} bytes`);
        chunk.copy(photo, filled);
        filled += chunk.length;
      }
    });
    if (filled !== size) throw new Error(`the photo has ${filled} bytes, not its recorded ${size}`);
    const sharp = await loadSharp();
    try {
      const thumbnail = await sharp(photo, { failOn: 'error', limitInputPixels: 100_000_000, sequentialRead: true })
        .rotate()
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 70 })
        .toBuffer();
      return { thumbnail };
    } catch {
      return { skipped: 'the image could not be decoded' };
    }
  });
}
