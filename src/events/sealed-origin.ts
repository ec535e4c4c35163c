import type { KeyRing } from '../crypto/keyring.js';
import { openText, sealText } from '../crypto/sealing.js';
import type { RequestOrigin } from '../http/origin.js';

export type OriginTable = 'sessions' | 'security_events';

interface StoredOrigin {
  id: string;
  origin_sealed: string | null;
}

// Binds a sealed origin to its account, table and row: copied onto another row, it does not open.
const context = (accountId: string, table: OriginTable, rowId: string) =>
  JSON.stringify(['lanyard/origin/v1', accountId, table, rowId]);

const detailContext = (accountId: string, rowId: string) =>
  JSON.stringify(['lanyard/event-detail/v1', accountId, rowId]);

/**
 * The IP address and client of a session or a security event, sealed under the account's data key as its
 * profile is: once deletion destroys the key, the copies that PostgreSQL's dead tuples, WAL and backups
 * still hold are unreadable.
 */
export class OriginSealer {
  constructor(private readonly keyRing: KeyRing) {}

  async seal(
    accountId: string,
    table: OriginTable,
    rowId: string,
    origin: RequestOrigin,
  ): Promise<{ origin_sealed: string }> {
    const key = await this.keyRing.getOrCreate(accountId);
    return {
      origin_sealed: sealText(key, JSON.stringify([origin.ip, origin.client]), context(accountId, table, rowId)),
    };
  }

  /** What an event says beyond its type (staff's reason), sealed like its origin and bound to the row. */
  async sealDetail(accountId: string, rowId: string, detail: Record<string, string>): Promise<string> {
    const key = await this.keyRing.getOrCreate(accountId);
    return sealText(key, JSON.stringify(detail), detailContext(accountId, rowId));
  }

  /** An event's detail; empty once the key is destroyed or when it does not open. */
  async openDetail(accountId: string, rowId: string, sealed: string | null): Promise<Record<string, string>> {
    if (sealed === null) return {};
    try {
      const key = await this.keyRing.get(accountId);
      return key ? (JSON.parse(openText(key, sealed, detailContext(accountId, rowId))) as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  /**
   * A row's origin, opened. Once the key is destroyed it reads as ''; a value that does not open under a
   * key that exists (altered, or moved from another row) throws.
   */
  async open(accountId: string, table: OriginTable, row: StoredOrigin): Promise<RequestOrigin> {
    if (row.origin_sealed === null) return { ip: '', client: '' };
    const key = await this.keyRing.get(accountId);
    if (!key) return { ip: '', client: '' };
    const [ip, client] = JSON.parse(openText(key, row.origin_sealed, context(accountId, table, row.id))) as [
      string,
      string,
    ];
    return { ip, client };
  }

  /**
   * For lists: a row whose origin does not open (damaged, or moved from another row) reads as '' and is
   * marked unreadable, so that one bad row never hides every other from the person reading the list.
   */
  async openOrBlank(
    accountId: string,
    table: OriginTable,
    row: StoredOrigin,
  ): Promise<RequestOrigin & { unreadable?: true }> {
    try {
      return await this.open(accountId, table, row);
    } catch {
      return { ip: '', client: '', unreadable: true };
    }
  }
}
