import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

export interface TombstoneEntry {
  /** Keyed hash of the deleted account's id. */
  account: string;
  deletedAt: string;
  /** Whether the owner released the device locks; a re-applied erasure must decide the same way. */
  releaseDevices: boolean;
}

/**
 * Where deletions are logged apart from the main database, to be applied again after a restore of it.
 * Append-only: nothing ever edits or removes a tombstone.
 */
export interface Tombstones {
  /** Appends a tombstone, durably, before it resolves; appending one that is there already changes nothing. */
  append(entry: TombstoneEntry): Promise<void>;
  /** Every tombstone, by account hash. */
  read(): Promise<Map<string, TombstoneEntry>>;
  /** Where the tombstones are kept, for the operator's messages. */
  readonly where: string;
}

/**
 * Tombstones appended to a file of their own in the data folder, apart from the database: a backup of
 * the database restored from before a deletion brings the account back, and this log is what the server
 * reads at start to erase it again. One JSON object a line, flushed to disk before the append returns.
 */
export class TombstoneLog implements Tombstones {
  constructor(readonly file: string) {}

  get where(): string {
    return this.file;
  }

  async append(entry: TombstoneEntry): Promise<void> {
    this.appendNow(entry);
  }

  private appendNow(entry: TombstoneEntry): void {
    const existed = fs.existsSync(this.file);
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.file, 'a+', 0o600);
    try {
      // A torn last line (a crash mid-append) is ended first, or this entry would be glued to it and lost.
      const { size } = fs.fstatSync(fd);
      const last = Buffer.alloc(1);
      const torn = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      // One write of a whole line: a crash leaves at most a torn last line, which read() skips.
      fs.writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (!existed) {
      // The new file's name must survive a power cut too.
      const dir = fs.openSync(path.dirname(this.file), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
  }

  /** Every tombstone in the log, by account hash; lines that do not parse (a torn write) are skipped. */
  async read(): Promise<Map<string, TombstoneEntry>> {
    return this.readNow();
  }

  private readNow(): Map<string, TombstoneEntry> {
    const entries = new Map<string, TombstoneEntry>();
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return entries;
      throw error;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as Partial<TombstoneEntry>;
        if (typeof entry.account === 'string' && typeof entry.deletedAt === 'string') {
          entries.set(entry.account, {
            account: entry.account,
            deletedAt: entry.deletedAt,
            releaseDevices: entry.releaseDevices === true,
          });
        }
      } catch {
        // A torn line from a crash mid-append; the erasure appends it again when it resumes.
      }
    }
    return entries;
  }
}

/**
 * Tombstones in the key ring's PostgreSQL database (LANYARD_KEYRING_URL), which every process on every
 * machine reaches and which is backed up apart from the main database, like the file it replaces. A
 * trigger refuses updates, deletes and truncation (src/crypto/postgres-keyring.ts creates the table).
 */
export class PostgresTombstones implements Tombstones {
  constructor(
    private readonly pool: pg.Pool,
    readonly where: string,
  ) {}

  async append(entry: TombstoneEntry): Promise<void> {
    // The first tombstone of an account stays as it was: a re-applied erasure appends the same account again.
    await this.pool.query(
      'INSERT INTO tombstones (account_hash, deleted_at, release_devices) VALUES ($1, $2, $3) ON CONFLICT (account_hash) DO NOTHING',
      [entry.account, entry.deletedAt, entry.releaseDevices],
    );
  }

  async read(): Promise<Map<string, TombstoneEntry>> {
    const { rows } = await this.pool.query<{ account_hash: string; deleted_at: string; release_devices: boolean }>(
      'SELECT account_hash, deleted_at, release_devices FROM tombstones ORDER BY logged_at, account_hash',
    );
    return new Map(
      rows.map((row) => [
        row.account_hash,
        { account: row.account_hash, deletedAt: row.deleted_at, releaseDevices: row.release_devices },
      ]),
    );
  }

  /** Copies the tombstones of a data folder's log in (once moving to the shared database); returns how many were new. */
  async importFrom(log: TombstoneLog): Promise<number> {
    let added = 0;
    for (const entry of (await log.read()).values()) {
      const { rowCount } = await this.pool.query(
        'INSERT INTO tombstones (account_hash, deleted_at, release_devices) VALUES ($1, $2, $3) ON CONFLICT (account_hash) DO NOTHING',
        [entry.account, entry.deletedAt, entry.releaseDevices],
      );
      added += rowCount ?? 0;
    }
    return added;
  }
}
