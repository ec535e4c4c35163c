import { sql } from 'kysely';
import type {
  Db,
  Executor,
  PasskeysTable,
  RecoveryCodesTable,
  TotpFactorsTable,
  TwoStepChallengesTable,
} from '../db/schema.js';
import type { AccountRows } from '../db/account-rows.js';

/** The tables of account rows this feature owns, emptied by an account's erasure in this order. */
export const TWO_STEP_ACCOUNT_ROWS: AccountRows = {
  feature: 'two-step',
  tables: ['totp_factors', 'passkeys', 'recovery_codes', 'two_step_challenges', 'account_locks', 'account_lock_links'],
};

export type TotpFactorRow = TotpFactorsTable;
export type PasskeyRow = PasskeysTable;
export type RecoveryCodeRow = RecoveryCodesTable;
export type ChallengeRow = TwoStepChallengesTable;

/** SQL for two-step verification: authenticator apps, passkeys, recovery codes, challenges, account locks. */
export class TwoStepRepository {
  constructor(private readonly db: Db) {}

  getTotp(accountId: string, executor: Executor = this.db): Promise<TotpFactorRow | undefined> {
    return executor.selectFrom('totp_factors').selectAll().where('account_id', '=', accountId).executeTakeFirst();
  }

  /** Starts (or restarts) an enrolment: an unconfirmed secret replaces an earlier unconfirmed one. */
  async putPendingTotp(executor: Executor, row: TotpFactorRow): Promise<void> {
    // An upsert that never touches a confirmed factor: two enrolments started at once leave the later one.
    await executor
      .insertInto('totp_factors')
      .values(row)
      .onConflict((oc) =>
        oc
          .column('account_id')
          .doUpdateSet({ secret_sealed: row.secret_sealed, last_step: null, created_at: row.created_at })
          .where('totp_factors.confirmed_at', 'is', null),
      )
      .execute();
  }

  /**
   * Marks the time step of an accepted code as used. The condition makes it single-use under races: of
   * two requests with the same code, one moves last_step forward and the other updates nothing.
   */
  async claimTotpStep(executor: Executor, accountId: string, step: number, confirmAt?: number): Promise<boolean> {
    const result = await executor
      .updateTable('totp_factors')
      .set({ last_step: step, ...(confirmAt !== undefined ? { confirmed_at: confirmAt } : {}) })
      .where('account_id', '=', accountId)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .where('confirmed_at', confirmAt !== undefined ? 'is' : 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteTotp(executor: Executor, accountId: string): Promise<boolean> {
    const result = await executor.deleteFrom('totp_factors').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  listPasskeys(accountId: string, executor: Executor = this.db): Promise<PasskeyRow[]> {
    return executor
      .selectFrom('passkeys')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  }

  getPasskeyByCredential(credentialId: string, executor: Executor = this.db): Promise<PasskeyRow | undefined> {
    return executor.selectFrom('passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  }

  async createPasskey(executor: Executor, row: PasskeyRow): Promise<void> {
    await executor.insertInto('passkeys').values(row).execute();
  }

  /**
   * Records a use. The counter only moves forward (a cloned authenticator replays an old one); an
   * authenticator that keeps no counter reports 0 every time.
   */
  async usePasskey(executor: Executor, accountId: string, id: string, counter: number, now: number): Promise<void> {
    await executor
      .updateTable('passkeys')
      .set({ counter, last_used_at: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .execute();
  }

  async deletePasskey(executor: Executor, accountId: string, id: string): Promise<boolean> {
    const result = await executor
      .deleteFrom('passkeys')
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteAllPasskeys(executor: Executor, accountId: string): Promise<void> {
    await executor.deleteFrom('passkeys').where('account_id', '=', accountId).execute();
  }

  /** Replaces the account's recovery codes with a new set. */
  async replaceRecoveryCodes(executor: Executor, accountId: string, rows: RecoveryCodeRow[]): Promise<void> {
    await executor.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
    if (rows.length > 0) await executor.insertInto('recovery_codes').values(rows).execute();
  }

  async countRecoveryCodes(accountId: string, executor: Executor = this.db): Promise<number> {
    const row = await executor
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('account_id', '=', accountId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Uses one recovery code; of concurrent uses of the same code, exactly one updates the row. */
  async useRecoveryCode(executor: Executor, accountId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await executor
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('account_id', '=', accountId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async createChallenge(executor: Executor, row: ChallengeRow): Promise<void> {
    await executor.insertInto('two_step_challenges').values(row).execute();
  }

  getChallenge(id: string, executor: Executor = this.db): Promise<ChallengeRow | undefined> {
    return executor.selectFrom('two_step_challenges').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Counts a wrong answer; returns the attempts made so far (after this one). */
  async countChallengeAttempt(id: string): Promise<number> {
    await this.db
      .updateTable('two_step_challenges')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', id)
      .execute();
    return (await this.getChallenge(id))?.attempts ?? Number.MAX_SAFE_INTEGER;
  }

  /** Consumes a challenge once: of concurrent completions, one wins and the others see false. */
  async consumeChallenge(executor: Executor, id: string, now: number, maxAttempts: number): Promise<boolean> {
    const result = await executor
      .updateTable('two_step_challenges')
      .set({ consumed_at: now })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .where('attempts', '<', maxAttempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async deleteExpiredChallenges(now: number): Promise<number> {
    const result = await this.db.deleteFrom('two_step_challenges').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async isLocked(accountId: string, executor: Executor = this.db): Promise<boolean> {
    return (
      (await executor
        .selectFrom('account_locks')
        .select('account_id')
        .where('account_id', '=', accountId)
        .executeTakeFirst()) !== undefined
    );
  }

  /** Whether staff suspended the account (the staff feature owns account_suspensions; this only reads it). */
  async isSuspended(accountId: string, executor: Executor = this.db): Promise<boolean> {
    return (
      (await executor
        .selectFrom('account_suspensions')
        .select('account_id')
        .where('account_id', '=', accountId)
        .executeTakeFirst()) !== undefined
    );
  }

  async lock(executor: Executor, accountId: string, now: number): Promise<void> {
    await executor
      .insertInto('account_locks')
      .values({ account_id: accountId, locked_at: now })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
  }

  async unlock(executor: Executor, accountId: string): Promise<boolean> {
    const result = await executor.deleteFrom('account_locks').where('account_id', '=', accountId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async createLockLink(
    executor: Executor,
    row: { tokenHash: string; accountId: string; now: number; expiresAt: number },
  ): Promise<void> {
    await executor
      .insertInto('account_lock_links')
      .values({
        token_hash: row.tokenHash,
        account_id: row.accountId,
        created_at: row.now,
        expires_at: row.expiresAt,
        consumed_at: null,
      })
      .execute();
  }

  /**
   * Spends a lock link: one conditional update, so that of any number of concurrent uses exactly one
   * sees its row change. The account of a link spent now, or undefined (unknown, used, or expired).
   */
  async consumeLockLink(executor: Executor, tokenHash: string, now: number): Promise<string | undefined> {
    const result = await executor
      .updateTable('account_lock_links')
      .set({ consumed_at: now })
      .where('token_hash', '=', tokenHash)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    const row = await executor
      .selectFrom('account_lock_links')
      .select('account_id')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirstOrThrow();
    return row.account_id;
  }

  /** Forgets lock links past their 7 days (used ones too: only the unused-and-valid matter). */
  async deleteExpiredLockLinks(now: number): Promise<number> {
    const result = await this.db.deleteFrom('account_lock_links').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** What the sign-in needs to know in one query: whether the account is locked and which factors it has. */
  async gateOf(
    accountId: string,
  ): Promise<{ locked: boolean; suspended: boolean; totp: boolean; passkeys: number; recoveryCodes: number }> {
    const row = await this.db
      .selectNoFrom((eb) => [
        eb
          .selectFrom('account_locks')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .where('account_id', '=', accountId)
          .as('locked'),
        eb
          .selectFrom('account_suspensions')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .where('account_id', '=', accountId)
          .as('suspended'),
        eb
          .selectFrom('totp_factors')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .where('account_id', '=', accountId)
          .where('confirmed_at', 'is not', null)
          .as('totp'),
        eb
          .selectFrom('passkeys')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .where('account_id', '=', accountId)
          .as('passkeys'),
        eb
          .selectFrom('recovery_codes')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .where('account_id', '=', accountId)
          .where('used_at', 'is', null)
          .as('codes'),
      ])
      .executeTakeFirstOrThrow();
    return {
      locked: Number(row.locked) > 0,
      suspended: Number(row.suspended) > 0,
      totp: Number(row.totp) > 0,
      passkeys: Number(row.passkeys),
      recoveryCodes: Number(row.codes),
    };
  }
}
