/** Why the last session ended without the staff member signing out, shown on the sign-in form until the next sign-in. */
let ended: string | undefined;

export function noteSessionEnded(code: string): void {
  // The idle end is the one worth telling: the calls still on their way after it only find no session.
  if (ended !== 'staff.session_idle') ended = code;
}

export function sessionEndedReason(): string | undefined {
  return ended;
}

/** Signed in again, or out on purpose: the old reason no longer applies. */
export function forgetSessionEnded(): void {
  ended = undefined;
}
