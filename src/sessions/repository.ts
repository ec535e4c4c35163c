import type SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { Db, Executor, SessionRow, StoredAccountRow } from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const SESSION_ACCOUNT_ROWS: AccountRows = { feature: 'sessions', tables: ['sessions'] };

/** A session and the account it belongs to, as one authentication reads them. */
export interface SessionWithAccount {
  session: SessionRow;
  /** The account row as stored: its sealed fields are not opened yet (AccountService does that). */
  account: StoredAccountRow;
}

// The session's columns are read under these names beside the account's, whose names they share.
export const SESSION_COLUMNS = [
  'account_id',
  'id',
  'token_hash',
  'kind',
  'created_at',
  'last_used_at',
  'expires_at',
  'reauthenticated_at',
  'origin_sealed',
] as const;
type SessionColumn = (typeof SESSION_COLUMNS)[number];
// Every column of the table, so that the session read here is a whole SessionRow: a column added to the
// table and not to the list fails to compile.
const everySessionColumn: [Exclude<keyof SessionRow, SessionColumn>] extends [never] ? true : never = true;
void everySessionColumn;
type JoinedRow = StoredAccountRow & { [K in SessionColumn as `session_${K}`]: SessionRow[K] };

/**
 * Told, in the transaction that ends them, which sessions of an account a person (or a change of
 * password, a lock, a recovery) ended; or, with `replacedBy`, that one was replaced by a new one (a
 * re-authentication), which is not an end. Expiry does not tell: nobody ended those.
 */
export type SessionsEndedListener = (
  executor: Executor,
  accountId: string,
  ended: { ids: string[]; replacedBy?: string },
) => Promise<void>;

/** SQL for sessions (web, API and device tokens share this table). */
export class SessionRepository {
  private readonly byTokenHash: CompiledQuery<JoinedRow>;
  // On SQLite, the same SQL as a statement of the reader connection, run without Kysely: its queue and
  // promises were a third of the CPU of GET /v1/me (114 against 72 µs per request with the statement run
  // directly, in paired runs); the SQL is still Kysely's, compiled once.
  private readonly byTokenHashOnReader: SqliteDatabase.Statement<[string], JoinedRow> | undefined;
  // Which column of the joined row goes to the session and under which name, in the row's order: one
  // statement always answers the same columns, so this is worked out from the first row.
  private columnSplit: { from: string; to: string; toSession: boolean }[] | undefined;
  private readonly endListeners: SessionsEndedListener[] = [];

  constructor(
    private readonly db: Db,
    sqliteReader?: SqliteDatabase.Database,
  ) {
    // The account comes with the session, so that a request that needs it (GET /v1/me, every guard that
    // checks the account's status and role) makes one round trip. Building and compiling this query took
    // as long as running it; it is compiled once, and each call only puts its token hash in the parameter.
    this.byTokenHash = db
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .selectAll('accounts')
      .select(SESSION_COLUMNS.map((column) => `sessions.${column} as session_${column}` as const))
      .where('sessions.token_hash', '=', '')
      .compile() as CompiledQuery<JoinedRow>;
    if (this.byTokenHash.parameters.length !== 1) throw new Error('the session lookup must have exactly one parameter');
    this.byTokenHashOnReader = sqliteReader?.prepare<[string], JoinedRow>(this.byTokenHash.sql);
  }

  async create(executor: Executor, row: SessionRow): Promise<void> {
    await this.pendingCreate(row, executor).execute();
  }

  /** The insert of a session, to be run with other writes (see db/atomic.ts). */
  pendingCreate(row: SessionRow, executor: Executor = this.db) {
    return executor.insertInto('sessions').values(row);
  }

  /** The hot path of every authenticated request: one unique-index lookup and a primary-key join. */
  async getByTokenHash(tokenHash: string): Promise<SessionWithAccount | undefined> {
    const row = this.byTokenHashOnReader
      ? this.byTokenHashOnReader.get(tokenHash)
      : (await this.db.executeQuery<JoinedRow>({ ...this.byTokenHash, parameters: [tokenHash] })).rows[0];
    if (!row) return undefined;
    const split = (this.columnSplit ??= Object.keys(row).map((from) =>
      from.startsWith('session_')
        ? { from, to: from.slice('session_'.length), toSession: true }
        : { from, to: from, toSession: false },
    ));
    const session: Record<string, unknown> = {};
    const account: Record<string, unknown> = {};
    const values = row as unknown as Record<string, unknown>;
    for (const { from, to, toSession } of split) (toSession ? session : account)[to] = values[from];
    return { session: session as unknown as SessionRow, account: account as unknown as StoredAccountRow };
  }

  async get(accountId: string, id: string): Promise<SessionRow | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async list(accountId: string): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('last_used_at', 'desc')
      .execute();
  }

  async touch(accountId: string, id: string, now: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_used_at: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }

  async update(
    executor: Executor,
    accountId: string,
    id: string,
    patch: Partial<Pick<SessionRow, 'reauthenticated_at' | 'last_used_at'>>,
  ): Promise<void> {
    await executor
      .updateTable('sessions')
      .set(patch)
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }

  /** Runs `listener` in every transaction that ends sessions (the apps signed in through them are told). */
  onEnd(listener: SessionsEndedListener): void {
    this.endListeners.push(listener);
  }

  private async ended(
    executor: Executor,
    accountId: string,
    ended: { ids: string[]; replacedBy?: string },
  ): Promise<void> {
    if (ended.ids.length === 0) return;
    for (const listener of this.endListeners) await listener(executor, accountId, ended);
  }

  /** Deletes one session; true when it existed. `replacedBy`: a new session takes its place (re-authentication). */
  async delete(executor: Executor, accountId: string, id: string, replacedBy?: string): Promise<boolean> {
    const result = await executor
      .deleteFrom('sessions')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    const deleted = Number(result.numDeletedRows) > 0;
    if (deleted) await this.ended(executor, accountId, { ids: [id], ...(replacedBy ? { replacedBy } : {}) });
    return deleted;
  }

  /** Deletes every session of an account but one (and, if given, only of some kinds). */
  async deleteOthers(
    executor: Executor,
    accountId: string,
    keepId: string | null,
    kinds?: SessionRow['kind'][],
  ): Promise<number> {
    let query = executor.deleteFrom('sessions').where('account_id', '=', accountId);
    if (keepId) query = query.where('id', '!=', keepId);
    if (kinds) query = query.where('kind', 'in', kinds);
    // One statement that says which ones it deleted (RETURNING, on both databases).
    const ids = (await query.returning('id').execute()).map((row) => row.id);
    await this.ended(executor, accountId, { ids });
    return ids.length;
  }

  /**
   * Deletes every session of the account, device tokens included, and tells no listener: a deletion, whose
   * erasure takes the apps' records with the account.
   */
  async deleteAll(executor: Executor, accountId: string): Promise<void> {
    await executor.deleteFrom('sessions').where('account_id', '=', accountId).execute();
  }

  async deleteExpired(now: number, idleMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      // Device tokens do not end for being idle (see DEVICE_TOKEN_LIFETIME_MS).
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb.and([eb('kind', '!=', 'device'), eb('last_used_at', '<=', now - idleMs)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
