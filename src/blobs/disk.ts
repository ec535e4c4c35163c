import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafePart, type BlobStore } from './store.js';

async function fsyncPath(target: string): Promise<void> {
  const handle = await fsp.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files under `<root>/<accountId>/<name>`. Each is written to a temporary file, flushed, renamed
 * into place and its folder flushed: after a crash a blob is either whole or absent, never half written.
 */
export class DiskBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private folder(accountId: string): string {
    assertSafePart(accountId);
    return path.join(this.root, accountId);
  }

  private file(accountId: string, name: string): string {
    assertSafePart(name);
    return path.join(this.folder(accountId), name);
  }

  async put(accountId: string, name: string, body: Readable): Promise<void> {
    const target = this.file(accountId, name);
    const folder = path.dirname(target);
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    // Temporary names start with a dot, which no blob name can: a sweep can tell leftovers apart.
    const temp = path.join(folder, `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      const out = fs.createWriteStream(temp, { mode: 0o600, flags: 'wx' });
      await pipeline(body, out);
      await fsyncPath(temp);
      await fsp.rename(temp, target);
    } catch (error) {
      await fsp.rm(temp, { force: true });
      throw error;
    }
    await fsyncPath(folder);
  }

  async get(accountId: string, name: string): Promise<Readable | undefined> {
    const file = this.file(accountId, name);
    try {
      const handle = await fsp.open(file, 'r');
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(accountId: string, name: string): Promise<void> {
    const file = this.file(accountId, name);
    await fsp.rm(file, { force: true });
  }

  async deleteAllForAccount(accountId: string): Promise<void> {
    const folder = this.folder(accountId);
    await fsp.rm(folder, { recursive: true, force: true });
    await fsyncPath(this.root).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async close(): Promise<void> {}
}
