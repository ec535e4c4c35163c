import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { S3Location } from './s3-url.js';
import { assertSafePart, type BlobStore } from './store.js';

/** Blobs as objects `<prefix><accountId>/<name>` in an S3-compatible bucket, through the AWS SDK v3. */
export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;

  constructor(private readonly location: S3Location) {
    const config: S3ClientConfig = {
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      // Checksums only where S3 requires them: several S3-compatible servers reject the newer default ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (location.endpoint) config.endpoint = location.endpoint;
    if (location.credentials) config.credentials = location.credentials;
    this.client = new S3Client(config);
  }

  private key(accountId: string, name: string): string {
    assertSafePart(accountId);
    assertSafePart(name);
    return `${this.location.prefix}${accountId}/${name}`;
  }

  async put(accountId: string, name: string, body: Readable): Promise<void> {
    // A multipart upload of 5 MiB parts, two at a time: memory stays bounded whatever the blob's size,
    // and the object appears only when the upload completes (an aborted one leaves nothing readable).
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.location.bucket,
        Key: this.key(accountId, name),
        Body: body,
        ContentType: 'application/octet-stream',
      },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async get(accountId: string, name: string): Promise<Readable | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(accountId, name) }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (
        error instanceof NoSuchKey ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return undefined;
      throw error;
    }
  }

  async delete(accountId: string, name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(accountId, name) }));
  }

  async deleteAllForAccount(accountId: string): Promise<void> {
    assertSafePart(accountId);
    const prefix = `${this.location.prefix}${accountId}/`;
    // Listing again after each batch, rather than following continuation tokens: the batch just deleted
    // is gone, and a run resumed after a crash starts from whatever is left.
    for (;;) {
      const listed = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, MaxKeys: 1000 }),
      );
      const keys = (listed.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (keys.length === 0) return;
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.location.bucket, Delete: { Objects: keys, Quiet: true } }),
      );
      if (result.Errors?.length)
        throw new Error(
          `S3 refused to delete ${result.Errors.length} object(s): ${result.Errors[0]?.Message ?? 'unknown error'}`,
        );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
