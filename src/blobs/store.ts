import type { Readable } from 'node:stream';

/**
 * Where photo bytes (already sealed under the account's key) are kept: a folder on disk or an
 * S3-compatible bucket. Keys are an account id and a server-made name, never client input, so that no
 * request can name a path; every blob of one account shares a prefix, so that erasure is one sweep.
 */
export interface BlobStore {
  /** Stores the stream whole or not at all: a reader never sees half a blob. */
  put(accountId: string, name: string, body: Readable): Promise<void>;
  /** The blob's bytes, or undefined when there is no such blob. */
  get(accountId: string, name: string): Promise<Readable | undefined>;
  /** Removes one blob; removing a missing blob is not an error. */
  delete(accountId: string, name: string): Promise<void>;
  /** Removes every blob of the account; safe to run again after a crash. */
  deleteAllForAccount(accountId: string): Promise<void>;
  close(): Promise<void>;
}

const SAFE_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws unless the part is safe as a path segment or key part (no slashes, no dot-dot). */
export function assertSafePart(part: string): void {
  if (!SAFE_PART.test(part) || part.includes('..'))
    throw new Error(`not a safe blob key part: ${JSON.stringify(part)}`);
}
