import { Algorithm, hash, verify } from '@node-rs/argon2';
import fs from 'node:fs';

/**
 * OWASP's argon2id parameters: 19 MiB of memory, 2 passes, 1 lane. @node-rs/argon2 (the RustCrypto
 * implementation) replaced node-argon2, whose prebuilt binary crashes on some x86 machines and, built from
 * source with SSE2 only, took twice the CPU per verify. Both write and read the same PHC strings, so
 * hashes made by the old library keep verifying (passwords.test.ts holds one).
 */
const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

let commonPasswords: Set<string> | undefined;

function loadCommonPasswords(): Set<string> {
  if (!commonPasswords) {
    const text = fs.readFileSync(new URL('../../assets/common-passwords.txt', import.meta.url), 'utf8');
    commonPasswords = new Set(
      text
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => line.toLowerCase()),
    );
  }
  return commonPasswords;
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (loadCommonPasswords().has(password.toLowerCase())) return 'is one of the most common passwords; choose another';
  return undefined;
}

/** Hashes with argon2id; the async API runs the work on libuv's thread pool, off the event loop. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Verifies a password against a stored hash. Without a hash (unknown login), it verifies against a
 * dummy hash of the same parameters, so that unknown and known logins cost the same time.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    dummyHash ??= hashPassword('lanyard-dummy-password-for-timing');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    // The parameters come from the stored PHC string, so hashes of other costs (older ones) still verify.
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

/** Computes the dummy hash ahead of the first unknown login, so that one is not slower. */
export async function warmUpPasswords(): Promise<void> {
  loadCommonPasswords();
  dummyHash ??= hashPassword('lanyard-dummy-password-for-timing');
  await dummyHash;
}
