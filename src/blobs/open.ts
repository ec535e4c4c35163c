import path from 'node:path';
import { DiskBlobStore } from './disk.js';
import { parseS3Url } from './s3-url.js';
import type { BlobStore } from './store.js';

/**
 * The blob store the configuration names: S3-compatible storage when LANYARD_S3_URL is set, else a folder
 * in the data folder. The AWS SDK is loaded only when it is used: it is large, and warns about Node 20.
 */
export async function openBlobStore(options: { dataDir: string; s3Url: string | undefined }): Promise<BlobStore> {
  if (!options.s3Url) return new DiskBlobStore(path.join(options.dataDir, 'blobs'));
  const { S3BlobStore } = await import('./s3.js');
  return new S3BlobStore(parseS3Url(options.s3Url));
}
