import type { FastifyBaseLogger } from 'fastify';
import type { AccountService } from '../accounts/service.js';
import { uuidv7 } from 'uuidv7';
import { writeAudit } from '../audit/audit-log.js';
import { iso, type Clock } from '../clock.js';
import { hmac } from '../crypto/tokens.js';
import type { Db, Executor } from '../db/schema.js';
import type { AuthContext } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { JobService } from '../jobs/service.js';
import type { CreditEntryRow, CreditRepository } from './repository.js';

export type CreditKind = CreditEntryRow['kind'];

export interface CreditEntryView {
  id: string;
  kind: CreditKind;
  /** Signed: a spend or an expiry is negative. */
  amount: number;
  reason: string;
  at: string;
  /** A grant's expiry, when it has one: what is left of it then is taken away by an `expiry` entry. */
  expiresAt: string | null;
}

export interface PostedCredit {
  entry: CreditEntryView;
  balance: number;
  /** True when the idempotency key had been used already: the earlier entry, nothing new. */
  replayed: boolean;
}

const PAGE_SIZE = 50;
/** A grant expires at most this far ahead (about ten years). */
const EXPIRY_MAX_MS = 3650 * 24 * 60 * 60 * 1000;
/**
 * The idempotency key of the entry that expires a grant: one per grant, so a retried job writes it once.
 * A '/' is outside the keys callers may choose (schemas.ts), so no caller can take it first.
 */
const expiryKey = (grantId: string) => `expiry/${grantId}`;

/**
 * What is left of every grant and refund, replaying the ledger in its order: a spend takes first from
 * what expires soonest (what never expires last, the older first among equals), and an expiry empties
 * its grant. Every change of an account's ledger is made holding its balance row, so the ledger's order
 * is the order the changes happened in.
 */
function leftOfEachCredit(rows: CreditEntryRow[]): Map<string, number> {
  const lots: Array<{ id: string; left: number; expiresAt: number }> = [];
  for (const row of rows) {
    const amount = Number(row.amount);
    if (amount > 0) {
      lots.push({
        id: row.id,
        left: amount,
        expiresAt: row.expires_at === null ? Number.POSITIVE_INFINITY : Number(row.expires_at),
      });
    } else if (row.kind === 'expiry') {
      const lot = lots.find((candidate) => expiryKey(candidate.id) === row.idempotency_key);
      if (lot) lot.left = 0;
    } else {
      let owed = -amount;
      // Array.prototype.sort is stable: among equal expiries, ledger order.
      for (const lot of lots.filter((candidate) => candidate.left > 0).sort((a, b) => a.expiresAt - b.expiresAt)) {
        const taken = Math.min(lot.left, owed);
        lot.left -= taken;
        owed -= taken;
        if (owed === 0) break;
      }
    }
  }
  return new Map(lots.map((lot) => [lot.id, lot.left]));
}

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
      accounts: Pick<AccountService, 'get'>;
      jobs: JobService;
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
    accountId: string,
    cursor: string | undefined,
  ): Promise<{ balance: number; currency: 'credits'; entries: CreditEntryView[]; cursor: string | null }> {
    if (cursor !== undefined && !CURSOR.test(cursor))
      throw new AppError('cursor_invalid', 'The cursor is not one this server gave out; start from the first page');
    const rows = await this.deps.repository.page(accountId, cursor, PAGE_SIZE + 1);
    const entries = rows.slice(0, PAGE_SIZE).map(viewOf);
    return {
      balance: await this.balance(accountId),
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
    input: {
      amount: number;
      reason: string;
      idempotencyKey: string;
      kind?: 'grant' | 'refund' | undefined;
      expiresAt?: string | undefined;
    },
  ): Promise<PostedCredit> {
    if (input.amount === 0)
      throw new AppError('validation_failed', 'The amount must not be 0', {
        errors: [{ path: '/amount', message: 'must not be 0' }],
      });
    if (input.amount < 0 && input.kind === 'refund')
      throw new AppError('validation_failed', 'A refund gives credits back: its amount is positive', {
        errors: [{ path: '/amount', message: 'must be positive for a refund' }],
      });
    if (!(await this.deps.accounts.get(accountId))) throw new AppError('not_found', 'No account has this id');
    const kind: CreditKind = input.amount < 0 ? 'spend' : (input.kind ?? 'grant');
    let expiresAt: number | null = null;
    if (input.expiresAt !== undefined) {
      expiresAt = Date.parse(input.expiresAt);
      const now = this.deps.clock.now();
      const problem =
        kind !== 'grant'
          ? 'only a grant may expire'
          : Number.isNaN(expiresAt) || expiresAt <= now
            ? 'must be in the future'
            : expiresAt > now + EXPIRY_MAX_MS
              ? 'must be within ten years'
              : undefined;
      if (problem)
        throw new AppError('validation_failed', `expiresAt ${problem}`, {
          errors: [{ path: '/expiresAt', message: problem }],
        });
    }
    return this.post(
      accountId,
      {
        kind,
        delta: input.amount,
        reason: input.reason,
        idempotencyKey: input.idempotencyKey,
        actor: `staff:${staff.accountId}`,
        expiresAt,
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
            ...(entry.expires_at !== null ? { expiresAt: iso(Number(entry.expires_at)) } : {}),
          },
          // Searchable in the staff audit log by staff member and account, like every other staff act.
          actorId: staff.accountId,
          accountId,
          reason: entry.reason,
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
      expiresAt: null,
    });
  }

  /**
   * Job: a grant's time is up. What is left of it (spends take from the soonest-expiring credits first)
   * is taken away by an append-only `expiry` entry with the grant's reason. Idempotent: the entry's key
   * is the grant's, so a retry finds it; nothing left, nothing written.
   */
  async expire(payload: JobPayloads['credits.expire']): Promise<void> {
    const { repository } = this.deps;
    await this.deps.db.transaction().execute(async (trx) => {
      const grant = await repository.get(trx, payload.accountId, payload.entryId);
      // Gone with an erased account, or not a grant that expires: nothing to do.
      if (grant?.kind !== 'grant' || grant.expires_at === null) return;
      if (await repository.findByKey(trx, payload.accountId, expiryKey(grant.id))) return;
      const now = this.deps.clock.now();
      await repository.ensureBalanceRow(trx, payload.accountId, now);
      await repository.lockBalance(trx, payload.accountId);
      const left = leftOfEachCredit(await repository.all(trx, payload.accountId)).get(grant.id) ?? 0;
      if (left <= 0) return;
      await repository.insertEntry(trx, {
        account_id: payload.accountId,
        id: uuidv7(),
        kind: 'expiry',
        amount: -left,
        reason: grant.reason,
        idempotency_key: expiryKey(grant.id),
        actor: 'system:expiry',
        created_at: now,
        expires_at: null,
      });
      if (!(await repository.applyDelta(trx, payload.accountId, -left, now)))
        throw new Error('the cached credit balance is below what is left of an expiring grant; the ledger disagrees');
    });
  }

  private async post(
    accountId: string,
    change: {
      kind: CreditKind;
      delta: number;
      reason: string;
      idempotencyKey: string;
      actor: string;
      expiresAt: number | null;
    },
    alsoInTransaction?: (trx: Executor, entry: CreditEntryRow) => Promise<void>,
  ): Promise<PostedCredit> {
    // Two tries: a concurrent request with the same key may insert first; the second try then finds it.
    for (let attempt = 1; ; attempt++) {
      try {
        const posted = await this.deps.db.transaction().execute(async (trx) => {
          const earlier = await this.deps.repository.findByKey(trx, accountId, change.idempotencyKey);
          if (earlier) return this.replay(earlier, change);
          await this.deps.repository.ensureBalanceRow(trx, accountId, this.deps.clock.now());
          // Held until commit: the account's changes happen one at a time, in the order of their ids.
          await this.deps.repository.lockBalance(trx, accountId);
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
            expires_at: change.expiresAt,
          };
          // The entry first: a concurrent retry of the same key waits here on the unique index, and
          // fails once this commits, instead of moving the balance too.
          await this.deps.repository.insertEntry(trx, row);
          if (!(await this.deps.repository.applyDelta(trx, accountId, change.delta, now))) {
            throw new AppError('credits.insufficient', `The balance is lower than ${-change.delta} credits`);
          }
          if (change.expiresAt !== null)
            await this.deps.jobs.enqueue(trx, {
              kind: 'credits.expire',
              payload: { accountId, entryId: row.id },
              runAt: change.expiresAt,
            });
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

  private replay(
    earlier: CreditEntryRow,
    change: { kind: CreditKind; delta: number; reason: string; expiresAt: number | null },
  ): PostedCredit {
    // The same key for a different change is a client's mistake, not a retry: say so rather than guess.
    if (
      earlier.kind !== change.kind ||
      Number(earlier.amount) !== change.delta ||
      earlier.reason !== change.reason ||
      (earlier.expires_at === null ? null : Number(earlier.expires_at)) !== change.expiresAt
    ) {
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
    expiresAt: row.expires_at === null ? null : iso(Number(row.expires_at)),
  };
}
