import type { CompiledQuery } from 'kysely';
import type { Db, Executor, SessionRow } from '../db/schema.js';

export interface SessionWithAccount extends SessionRow {
  role: 'user' | 'support' | 'admin';
  status: string;
}

/** SQL for sessions (web, API and device tokens share this table). */
export class SessionRepository {
  private readonly byTokenHash: CompiledQuery<SessionWithAccount>;

  constructor(private readonly db: Db) {
    // Building and compiling this query took as long as running it; it is compiled once, and each call
    // only puts its token hash in the one parameter.
    this.byTokenHash = db
      .selectFrom('sessions')
      .innerJoin('accounts', 'accounts.id', 'sessions.account_id')
      .selectAll('sessions')
      .select(['accounts.role', 'accounts.status'])
      .where('sessions.token_hash', '=', '')
      .compile();
    if (this.byTokenHash.parameters.length !== 1) throw new Error('the session lookup must have exactly one parameter');
  }

  async create(executor: Executor, row: SessionRow): Promise<void> {
    await executor.insertInto('sessions').values(row).execute();
  }

  /** The hot path of every authenticated request: one unique-index lookup and a primary-key join. */
  async getByTokenHash(tokenHash: string): Promise<SessionWithAccount | undefined> {
    const { rows } = await this.db.executeQuery<SessionWithAccount>({ ...this.byTokenHash, parameters: [tokenHash] });
    return rows[0];
  }

  async get(accountId: string, id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  }

  async list(accountId: string): Promise<SessionRow[]> {
    return this.db.selectFrom('sessions').selectAll().where('account_id', '=', accountId).orderBy('last_used_at', 'desc').execute();
  }

  async touch(accountId: string, id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_used_at: now }).where('account_id', '=', accountId).where('id', '=', id).execute();
  }

  async update(executor: Executor, accountId: string, id: string, patch: Partial<Pick<SessionRow, 'reauthenticated_at' | 'last_used_at'>>): Promise<void> {
    await executor.updateTable('sessions').set(patch).where('account_id', '=', accountId).where('id', '=', id).execute();
  }

  /** Deletes one session; true when it existed. */
  async delete(executor: Executor, accountId: string, id: string): Promise<boolean> {
    const result = await executor.deleteFrom('sessions').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes every session of an account but one (and, if given, only of some kinds). */
  async deleteOthers(executor: Executor, accountId: string, keepId: string | null, kinds?: SessionRow['kind'][]): Promise<number> {
    let query = executor.deleteFrom('sessions').where('account_id', '=', accountId);
    if (keepId) query = query.where('id', '!=', keepId);
    if (kinds) query = query.where('kind', 'in', kinds);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(now: number, idleMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('sessions')
      // Device tokens do not end for being idle (see DEVICE_TOKEN_LIFETIME_MS).
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb.and([eb('kind', '!=', 'device'), eb('last_used_at', '<=', now - idleMs)])]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
