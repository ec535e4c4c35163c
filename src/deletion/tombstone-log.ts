import fs from 'node:fs';
import path from 'node:path';

export interface TombstoneEntry {
  /** Keyed hash of the deleted account's id. */
  account: string;
  deletedAt: string;
  /** Whether the owner released the device locks; a re-applied erasure must decide the same way. */
  releaseDevices: boolean;
}

/**
 * Tombstones appended to a file of their own in the data folder, apart from the database: a backup of
 * the database restored from before a deletion brings the account back, and this log is what the server
 * reads at start to erase it again. One JSON object a line, flushed to disk before the append returns.
 */
export class TombstoneLog {
  constructor(readonly file: string) {}

  append(entry: TombstoneEntry): void {
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
  read(): Map<string, TombstoneEntry> {
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
          entries.set(entry.account, { account: entry.account, deletedAt: entry.deletedAt, releaseDevices: entry.releaseDevices === true });
        }
      } catch {
        // A torn line from a crash mid-append; the erasure appends it again when it resumes.
      }
    }
    return entries;
  }
}
