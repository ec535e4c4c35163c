/** Why the last session ended without the staff member signing out (shown once on the sign-in form). */
let ended: string | undefined;

export function noteSessionEnded(code: string): void {
  ended = code;
}

/** The reason, once: a later sign-in form does not repeat it. */
export function takeSessionEnded(): string | undefined {
  const code = ended;
  ended = undefined;
  return code;
}
