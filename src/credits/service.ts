import type { FastifyBaseLogger } from 'fastify';
import { uuidv7 } from 'uuidv7';
import { writeAudit } from '../audit/audit-log.js';
import { iso, type Clock } from '../clock.js';
import { hmac } from '../crypto/tokens.js';
import type { Db, Executor } from '../db/schema.js';
import type { AuthContext } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import type { CreditEntryRow, CreditRepository } from './repository.js';

export type CreditKind = CreditEntryRow['kind'];

export interface CreditEntryView {
  id: string;
  kind: CreditKind;
  /** Signed: a spend or an expiry is negative. */
  amount: number;
  reason: string;
  at: string;
}

export interface PostedCredit {
  entry: CreditEntryView;
  balance: number;
  /** True when the idempotency key had been used already: the earlier entry, nothing new. */
  replayed: boolean;
}

const PAGE_SIZE = 50;
const CURSOR = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A unique index refused the insert (PostgreSQL 23505, SQLite's constraint codes). */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * The credits wallet: an append-only ledger whose sum is the balance. Every change is one entry plus a
 * conditional update of the cached balance in the same transaction, so that concurrent spends can never
 * take the balance below zero, and an idempotency key makes a retried request find its first entry.
 */
export class CreditService {
  constructor(
    private readonly deps: {
      db: Db;
      repository: CreditRepository;
      lookupKey: Buffer;
      clock: Clock;
      log: FastifyBaseLogger;
    },
  ) {}

  /** The balance: the ledger's sum. The cached row is checked against it, and a difference logged. */
  async balance(accountId: string): Promise<number> {
    const [sum, cached] = await Promise.all([
      this.deps.repository.ledgerSum(accountId),
      this.deps.repository.cachedBalance(accountId),
    ]);
    if ((cached ?? 0) !== sum)
      this.deps.log.error(
        { accountId, sum, cached },
        'the cached credit balance differs from the ledger; the ledger counts',
      );
    return sum;
  }

  /** The balance and a page of entries, newest first; cursor is the last entry's id of the previous page. */
  async history(
    auth: AuthContext,
    cursor: string | undefined,
  ): Promise<{ balance: number; currency: 'credits'; entries: CreditEntryView[]; cursor: string | null }> {
    if (cursor !== undefined && !CURSOR.test(cursor))
      throw new AppError('cursor_invalid', 'The cursor is not one this server gave out; start from the first page');
    const rows = await this.deps.repository.page(auth.accountId, cursor, PAGE_SIZE + 1);
    const entries = rows.slice(0, PAGE_SIZE).map(viewOf);
    return {
      balance: await this.balance(auth.accountId),
      currency: 'credits',
      entries,
      cursor: rows.length > PAGE_SIZE ? entries[entries.length - 1]!.id : null,
    };
  }

  /**
   * A staff change: a positive amount is a grant (or a refund, when kind says so); a negative amount is
   * a correction that takes credits back, recorded as a spend, and never below zero. Audited.
   */
  async adjust(
    staff: AuthContext,
    accountId: string,
    input: { amount: number; reason: string; idempotencyKey: string; kind?: 'grant' | 'refund' | undefined },
  ): Promise<PostedCredit> {
    if (input.amount === 0)
      throw new AppError('validation_failed', 'The amount must not be 0', {
        errors: [{ path: '/amount', message: 'must not be 0' }],
      });
    if (input.amount < 0 && input.kind === 'refund')
      throw new AppError('validation_failed', 'A refund gives credits back: its amount is positive', {
        errors: [{ path: '/amount', message: 'must be positive for a refund' }],
      });
    const exists = await this.deps.db
      .selectFrom('accounts')
      .select('id')
      .where('id', '=', accountId)
      .executeTakeFirst();
    if (!exists) throw new AppError('not_found', 'No account has this id');
    const kind: CreditKind = input.amount < 0 ? 'spend' : (input.kind ?? 'grant');
    return this.post(
      accountId,
      {
        kind,
        delta: input.amount,
        reason: input.reason,
        idempotencyKey: input.idempotencyKey,
        actor: `staff:${staff.accountId}`,
      },
      async (trx, entry) => {
        await writeAudit(trx, {
          at: entry.created_at,
          action: `credits.${kind}`,
          subject: hmac(this.deps.lookupKey, 'tombstone', accountId),
          detail: {
            by: hmac(this.deps.lookupKey, 'staff', staff.accountId),
            entry: entry.id,
            amount: entry.amount,
            reason: entry.reason,
          },
        });
      },
    );
  }

  /** A maker's service spends the person's credits (an app token with credits:spend). */
  async spend(
    auth: AuthContext,
    input: { amount: number; reason: string; idempotencyKey: string },
  ): Promise<PostedCredit> {
    const actor = auth.app ? `app:${auth.app.clientId}` : `account:${auth.accountId}`;
    return this.post(auth.accountId, {
      kind: 'spend',
      delta: -input.amount,
      reason: input.reason,
      idempotencyKey: input.idempotencyKey,
      actor,
    });
  }

  private async post(
    accountId: string,
    change: { kind: CreditKind; delta: number; reason: string; idempotencyKey: string; actor: string },
    alsoInTransaction?: (trx: Executor, entry: CreditEntryRow) => Promise<void>,
  ): Promise<PostedCredit> {
    // Two tries: a concurrent request with the same key may insert first; the second try then finds it.
    for (let attempt = 1; ; attempt++) {
      try {
        const posted = await this.deps.db.transaction().execute(async (trx) => {
          const earlier = await this.deps.repository.findByKey(trx, accountId, change.idempotencyKey);
          if (earlier) return this.replay(earlier, change);
          const now = this.deps.clock.now();
          const row: CreditEntryRow = {
            account_id: accountId,
            id: uuidv7(),
            kind: change.kind,
            amount: change.delta,
            reason: change.reason,
            idempotency_key: change.idempotencyKey,
            actor: change.actor,
            created_at: now,
          };
          await this.deps.repository.ensureBalanceRow(trx, accountId, now);
          // The entry first: a concurrent retry of the same key waits here on the unique index, and
          // fails once this commits, instead of moving the balance too.
          await this.deps.repository.insertEntry(trx, row);
          if (!(await this.deps.repository.applyDelta(trx, accountId, change.delta, now))) {
            throw new AppError('credits.insufficient', `The balance is lower than ${-change.delta} credits`);
          }
          await alsoInTransaction?.(trx, row);
          const balance = (await this.deps.repository.cachedBalance(accountId, trx)) ?? 0;
          return { entry: viewOf(row), balance, replayed: false };
        });
        // Read after the transaction: on SQLite a read outside it, inside it, would wait for itself.
        return posted.replayed ? { ...posted, balance: await this.balance(accountId) } : posted;
      } catch (error) {
        if (attempt < 2 && isUniqueViolation(error)) continue;
        throw error;
      }
    }
  }

  private replay(earlier: CreditEntryRow, change: { kind: CreditKind; delta: number; reason: string }): PostedCredit {
    // The same key for a different change is a client's mistake, not a retry: say so rather than guess.
    if (earlier.kind !== change.kind || Number(earlier.amount) !== change.delta || earlier.reason !== change.reason) {
      throw new AppError(
        'credits.idempotency_key_reused',
        'This idempotency key was used for a different change; use a new key',
      );
    }
    return { entry: viewOf(earlier), balance: Number.NaN, replayed: true };
  }
}

function viewOf(row: CreditEntryRow): CreditEntryView {
  return {
    id: row.id,
    kind: row.kind,
    amount: Number(row.amount),
    reason: row.reason,
    at: iso(Number(row.created_at)),
  };
}
