import { createChallenge, randomInt, verifySolution, type Challenge, type Payload } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { systemClock, type Clock } from '../clock.js';
import { hmac, sha256 } from '../crypto/tokens.js';
import { AppError } from '../http/errors.js';
import { isTooDeep } from '../http/json-depth.js';
import type { AcceptedCaptchaRepository } from './repository.js';

/** How long a challenge may be solved and submitted. */
export const CAPTCHA_LIFETIME_MS = 10 * 60_000;

/**
 * Difficulty. PoW v2 in deterministic mode: the server draws a secret counter in [max/2, max] and the
 * solver derives one PBKDF2-SHA-256 key (COST iterations) per counter value from 0 until it reaches
 * it; only that counter's key has the signed prefix, so there is no lucky early answer. The default
 * max of 2,000 means at most 2 million PBKDF2 iterations, 1.5 million on average: about one to two
 * seconds on a low-end 2-core phone (the widget solves with one worker per core, each ~1 ms per
 * counter through WebCrypto), under a second on a recent phone, ~0.5 s of one server core for a bot.
 * A captcha only slows automation down; the rate limits stop it. LANYARD_CAPTCHA_MAX_COUNTER tunes it.
 */
const ALGORITHM = 'PBKDF2/SHA-256';
const COST = 1000;

/** A challenge as this server issues it: always signed, always with an expiry. */
export type IssuedChallenge = Challenge & {
  signature: string;
  parameters: Challenge['parameters'] & { expiresAt: number };
};

export type CaptchaRefusal = 'missing' | 'invalid' | 'expired' | 'used';

const REFUSALS: Record<CaptchaRefusal, string> = {
  missing:
    'This needs a solved captcha: get a challenge from GET /v1/captcha and send the solved payload in the captcha field',
  invalid: 'The captcha payload is not a valid solution of a challenge from this server; solve a new one',
  expired: 'The captcha challenge expired; solve a new one',
  used: 'This captcha was already used; each solved captcha is accepted once, solve a new one',
};

function refused(reason: CaptchaRefusal): AppError {
  return new AppError('captcha_required', REFUSALS[reason], { reason });
}

/**
 * Self-hosted ALTCHA captcha (altcha-lib, PoW v2): challenges signed with a server key, solutions
 * verified by altcha-lib, and each solved challenge accepted once.
 *
 * Time is the wall clock, not the app's injected clock: altcha-lib checks a challenge's expiry against
 * Date.now() and the widget reads it the same way, so the expiry we sign and the sweep that forgets
 * accepted challenges must use that same time.
 */
export class CaptchaService {
  private readonly signatureSecret: string;
  private readonly keySignatureSecret: string;

  private readonly repository: AcceptedCaptchaRepository;
  private readonly options: { maxCounter: number };
  private readonly clock: Clock;

  constructor(deps: {
    repository: AcceptedCaptchaRepository;
    key: Buffer;
    options: { maxCounter: number };
    clock?: Clock;
  }) {
    this.repository = deps.repository;
    const key = deps.key;
    this.options = deps.options;
    this.clock = deps.clock ?? systemClock;
    // Two secrets from one purpose key: one signs the challenge, the other the expected derived key
    // (which lets verification check an HMAC instead of running PBKDF2 again).
    this.signatureSecret = hmac(key, 'altcha', 'challenge');
    this.keySignatureSecret = hmac(key, 'altcha', 'derived-key');
  }

  /** A new challenge, exactly as altcha-lib creates it: what the ALTCHA widget fetches. */
  async challenge(): Promise<IssuedChallenge> {
    const max = this.options.maxCounter;
    const challenge = await createChallenge({
      algorithm: ALGORITHM,
      cost: COST,
      counter: randomInt(max, Math.ceil(max / 2)),
      deriveKey,
      expiresAt: Math.floor((this.clock.now() + CAPTCHA_LIFETIME_MS) / 1000),
      hmacSignatureSecret: this.signatureSecret,
      hmacKeySignatureSecret: this.keySignatureSecret,
    });
    return challenge as IssuedChallenge;
  }

  /**
   * Verifies a solved payload (base64 JSON, as the widget submits it) and accepts it once; throws
   * captcha_required saying whether it was missing, invalid, expired or already used.
   */
  async accept(encoded: string | undefined): Promise<void> {
    if (encoded === undefined || encoded.trim() === '') throw refused('missing');
    const payload = parsePayload(encoded);
    if (!payload) throw refused('invalid');
    const { parameters, signature } = payload.challenge;
    // Ours always carry an expiry; one without could be replayed forever once the sweep forgot it.
    if (typeof parameters.expiresAt !== 'number') throw refused('invalid');
    if (parameters.expiresAt * 1000 <= this.clock.now()) throw refused('expired');
    let result;
    try {
      result = await verifySolution({
        challenge: payload.challenge,
        solution: payload.solution,
        deriveKey,
        hmacSignatureSecret: this.signatureSecret,
        hmacKeySignatureSecret: this.keySignatureSecret,
      });
    } catch {
      // altcha-lib throws on some malformed input (odd-length hex, unknown algorithm): bad input, not our fault.
      throw refused('invalid');
    }
    if (result.expired) throw refused('expired');
    if (!result.verified) throw refused('invalid');
    // The signature is an HMAC over the parameters, random nonce and salt included, and was just checked
    // byte for byte: it names this one challenge, whatever solution came with it.
    if (!(await this.repository.create(sha256(signature!), parameters.expiresAt * 1000))) throw refused('used');
  }

  /** Forgets accepted challenges once they expired: a replay is refused as expired from then on. */
  async sweepExpired(): Promise<number> {
    return this.repository.deleteExpired(this.clock.now());
  }
}

/** Decodes the widget's payload without trusting its shape; undefined if it is not one. */
function parsePayload(encoded: string): Payload | undefined {
  let value: unknown;
  try {
    const text = Buffer.from(encoded.trim(), 'base64').toString('utf8');
    // JSON inside the base64 escapes the body's depth limit: the same limit, before parsing.
    if (isTooDeep(text)) return undefined;
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !isObject(value.challenge) || !isObject(value.solution)) return undefined;
  const { challenge, solution } = value;
  if (!isObject(challenge.parameters) || typeof challenge.signature !== 'string') return undefined;
  if (typeof solution.counter !== 'number' || typeof solution.derivedKey !== 'string') return undefined;
  return value as unknown as Payload;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
