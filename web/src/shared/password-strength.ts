/**
 * A quick estimate of a new password's strength, for the meter only (the server decides what it
 * accepts: 8 to 128 characters, not a common password). 0 is too short; 4 is strong.
 */
export function passwordStrength(password: string): 0 | 1 | 2 | 3 | 4 {
  const length = [...password].length;
  if (length < 8) return 0;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  const repetitive = /^(.)\1+$/.test(password) || /^(0123|1234|abcd|qwer|pass)/i.test(password);
  let score = (length >= 12 ? 2 : 1) + (length >= 16 ? 1 : 0) + (kinds >= 3 ? 1 : 0);
  if (repetitive) score = 1;
  return Math.min(4, Math.max(1, score)) as 1 | 2 | 3 | 4;
}
