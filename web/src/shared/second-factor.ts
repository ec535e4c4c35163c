/**
 * A code typed for the second step: six digits are the authenticator app's, anything else is a recovery
 * code (xxxxx-xxxxx). One field for both, so that nobody has to say which kind they are typing.
 */
export function factorOf(code: string): { method: 'totp' | 'recovery_code'; code: string } {
  const typed = code.trim();
  return /^\d{6}$/.test(typed.replace(/\s/g, ''))
    ? { method: 'totp', code: typed.replace(/\s/g, '') }
    : { method: 'recovery_code', code: typed };
}
