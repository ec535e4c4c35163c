import type { RequestOrigin } from '../events/service.js';

/**
 * The seam where 2-step verification joins an app's sign-in. The sign-in page calls it after the
 * password: when the account has factors, it asks for one before the app gets its code, and the ID
 * token then says so (acr urn:lanyard:acr:2fa, amr with the method). The 2-step work provides the real
 * implementation (TOTP, passkeys, recovery codes) and passes it to registerClientAppRoutes.
 */
export interface SecondFactorStep {
  /** The methods the account has enrolled ("totp", "passkey", "recovery_code"); [] when none. */
  methodsOf(accountId: string): Promise<string[]>;
  /** Checks one answer (single use and rate limits are the implementation's); true when it is right. */
  verify(accountId: string, method: string, answer: string, origin: RequestOrigin): Promise<boolean>;
}

/** Until 2-step verification exists, no account has a second factor. */
export const noSecondFactor: SecondFactorStep = {
  methodsOf: async () => [],
  verify: async () => false,
};

/** RFC 8176 method references for each method. */
export const AMR_OF: Record<string, string> = { totp: 'otp', recovery_code: 'otp', passkey: 'hwk' };
