/**
 * What each kind of credential may do: the one table. Every route declares one access level (through the
 * guard it names, see `createGuards`); the guard consults this table and nothing else, and
 * `src/http/access.test.ts` walks every operation of the OpenAPI document with every kind of credential
 * and checks the answers against it.
 */

/** What a route needs, as it declares it. */
export type Access = 'anonymous' | 'device' | 'accountOrDevice' | 'account' | 'fresh' | 'support' | 'admin';

/**
 * What a caller holds. One credential may hold several: a staff member's session is an account session
 * as well, and an admin is also support. A device token holds `device` only, whoever owns the account:
 * a stolen phone is a device, never the account (nor staff).
 * - `account`: a web or API session whose password (or second factor) was given more than 10 minutes ago;
 * - `freshAccount`: the same, given within the last 10 minutes (sign-in or POST /v1/session/reauth).
 */
export type Credential = 'device' | 'account' | 'freshAccount' | 'support' | 'admin';

/** For each access level, the credentials that let a caller in (any one suffices). */
export const ACCESS: Readonly<Record<Exclude<Access, 'anonymous'>, readonly Credential[]>> = {
  // The device's own work: itself, its commands, its sign-out (with the password).
  device: ['device'],
  // What devices sync and people browse alike: the cloud.
  accountOrDevice: ['device', 'account', 'freshAccount'],
  // Everything that manages the account: profile, sessions, security events, devices, apps.
  account: ['account', 'freshAccount'],
  // What hands the account over (address and password changes, ending other sessions, export, 2-step
  // settings, removing devices, deletion): the password or a second factor within the last 10 minutes.
  fresh: ['freshAccount'],
  // Staff routes. Beyond the role, the guard asks of staff what a password alone does not prove: two-step
  // verification enrolled (403 staff.second_factor_required) and a session used within the last 30 minutes
  // (an idle one ends: 401 staff.session_idle); see Authenticator.checkStaff.
  support: ['support'],
  admin: ['admin'],
};

/** The credentials a signed-in caller holds. */
export function credentialsOf(
  caller: { kind: 'web' | 'api' | 'device'; role: 'user' | 'support' | 'admin' },
  fresh: boolean,
): Credential[] {
  if (caller.kind === 'device') return ['device'];
  const held: Credential[] = [fresh ? 'freshAccount' : 'account'];
  if (caller.role === 'support' || caller.role === 'admin') held.push('support');
  if (caller.role === 'admin') held.push('admin');
  return held;
}

/** Whether a caller holding these credentials (none: anonymous) may use a route of this access level. */
export function allows(access: Access, held: readonly Credential[]): boolean {
  if (access === 'anonymous') return true;
  return ACCESS[access].some((credential) => held.includes(credential));
}
