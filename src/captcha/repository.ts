import type { Db } from '../db/schema.js';

/** SQL for captcha payloads already accepted. */
export class AcceptedCaptchaRepository {
  constructor(private readonly db: Db) {}

  /**
   * Records a challenge as used. Of any number of concurrent callers with the same challenge, exactly
   * one gets true: the primary key decides, not a read before the write.
   */
  async create(challengeHash: string, expiresAt: number): Promise<boolean> {
    const result = await this.db
      .insertInto('accepted_captchas')
      .values({ challenge_hash: challengeHash, expires_at: expiresAt })
      .onConflict((oc) => oc.column('challenge_hash').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Forgets challenges that expired before `before`: a replay of one is refused as expired anyway. */
  async deleteExpired(before: number): Promise<number> {
    const result = await this.db.deleteFrom('accepted_captchas').where('expires_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
