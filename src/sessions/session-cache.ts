import { BoundedCache } from '../bounded-cache.js';
import type { AuthChanges } from '../db/auth-changes.js';
import type { SessionWithAccount } from './repository.js';

/**
 * How long this process reads an account through after it wrote the account's sessions or account row
 * itself: long enough for the transaction to commit (and, on PostgreSQL, for its notification to come
 * back), so that a check made meanwhile cannot store what the transaction is about to change.
 */
const HOLD_MS = 10_000;

interface Entry {
  found: SessionWithAccount;
  /** The account's generation when it was read: a change to the account since moves it on. */
  generation: number;
}

/**
 * Session checks this process has made, by token hash, so that the next check of a session reads no
 * database (issue 18: with 100,000 sessions in rotation the lookup, its pages and its account row were
 * most of the cost of GET /v1/me). Only an active account's session is kept, as the lookup read it;
 * every rule is still applied to it on each check (expiry, idle time, the account's status and role).
 *
 * What keeps it true is the feed of changes (src/db/auth-changes.ts): triggers record, in the transaction
 * of the change, that an account's sessions or account row changed, whoever wrote it, and every process
 * hears it (SQLite: on its next check, which reads the change first; PostgreSQL: by NOTIFY, at commit).
 * A changed account's entries are not used again; while the feed cannot say it has heard everything
 * (PostgreSQL's listener down) nothing is used or stored; and an account this process is writing itself
 * is read through for HOLD_MS, so that its own ending of a session holds from the moment it commits.
 *
 * Bounded: at most `capacity` sessions, one not checked lately dropped first (about 0.7 KB each with the
 * strings it holds, measured: 70 MB at the default 100,000).
 */
export class SessionCache {
  private readonly entries: BoundedCache<string, Entry>;
  /** Accounts changed since the cache was last emptied, by generation; absent: generation 0. */
  private readonly generations = new Map<string, number>();
  /** Accounts this process is writing, until when they are read through (Date.now()). */
  private readonly holds = new Map<string, number>();
  /** Moves on with every change heard: a read that began before a change is not stored. */
  private epoch = 0;

  constructor(
    private readonly changes: AuthChanges,
    readonly capacity: number,
    /** Where the cache picks the entries it may drop (BoundedCache): Math.random, or a fixed sequence in tests. */
    random: () => number = Math.random,
  ) {
    this.entries = new BoundedCache(capacity, random);
    changes.onChange((accountId, local) => this.changed(accountId, local));
  }

  /**
   * Hears the changes committed so far (SQLite reads them here) and returns a ticket for storing what a
   * read that starts now finds; undefined when nothing cached may be trusted now.
   */
  begin(): number | undefined {
    return this.changes.catchUp() ? this.epoch : undefined;
  }

  /** The session as last read, unless its account changed since (call begin first). */
  get(tokenHash: string): SessionWithAccount | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    const accountId = entry.found.session.account_id;
    if (entry.generation !== (this.generations.get(accountId) ?? 0) || this.held(accountId)) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.found;
  }

  /** Keeps what a read found, if no change was heard since `ticket` (from begin) and the account is not held. */
  set(tokenHash: string, found: SessionWithAccount, ticket: number): void {
    const accountId = found.session.account_id;
    if (ticket !== this.epoch || this.held(accountId)) return;
    this.entries.set(tokenHash, { found, generation: this.generations.get(accountId) ?? 0 });
  }

  /** Drops one session (found expired: another process may know a later use). */
  forget(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }

  get size(): number {
    return this.entries.size;
  }

  private changed(accountId: string | undefined, local: boolean): void {
    this.epoch++;
    if (accountId === undefined || this.generations.size >= this.capacity) {
      // Anything may have changed (or too many accounts did to track each): start again.
      this.entries.clear();
      this.generations.clear();
      if (accountId === undefined) return;
    }
    this.generations.set(accountId, (this.generations.get(accountId) ?? 0) + 1);
    if (local) {
      this.holds.set(accountId, Date.now() + HOLD_MS);
      if (this.holds.size > 1000) for (const [id, until] of this.holds) if (until <= Date.now()) this.holds.delete(id);
    }
  }

  private held(accountId: string): boolean {
    if (this.holds.size === 0) return false;
    const until = this.holds.get(accountId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.holds.delete(accountId);
    return false;
  }
}
