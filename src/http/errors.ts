/**
 * Every error code the API answers with: its HTTP status and a title that explains it to a person. Each
 * distinct situation has its own code, so that a client (the portal translates by code) can tell them
 * apart; the codes API.md names keep their names. Newer codes follow API.md's `domain.reason` style, and
 * `aliasOf` names the older, broader code a client may have matched the situation by before.
 */
export const errorRegistry = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_credentials: { status: 401, title: 'The login or password is wrong' },
  unauthenticated: { status: 401, title: 'Sign in first' },
  reauthentication_required: { status: 403, title: 'Enter your password again to continue' },
  csrf_failed: { status: 403, title: 'The CSRF token is missing or wrong' },
  forbidden: { status: 403, title: 'This is not allowed' },
  insufficient_scope: { status: 403, title: "The app's access token does not have the scope this needs" },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  code_invalid: { status: 400, title: 'The verification code is wrong' },
  code_expired: { status: 400, title: 'The verification code has expired; ask for a new one' },
  too_many_attempts: { status: 429, title: 'Too many wrong codes; ask for a new one' },
  rate_limited: { status: 429, title: 'Too many requests; try again later' },
  captcha_required: { status: 400, title: 'Solve the captcha to continue' },
  payload_too_large: { status: 413, title: 'The request is too large' },
  body_too_deep: { status: 400, title: 'The JSON body nests too deeply' },
  malformed_request: { status: 400, title: 'The request is not well-formed HTTP' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  item_unreadable: {
    status: 422,
    title: 'This item is stored in a form that can no longer be read; overwrite or delete it',
  },
  unsupported_media_type: { status: 415, title: 'Send application/json' },
  devices_still_linked: { status: 409, title: 'Devices are still linked to this account' },
  quota_exceeded: { status: 413, title: 'The account has no storage left for this' },
  cursor_invalid: { status: 400, title: 'The sync cursor is not one this server gave out; sync again from the start' },
  unsupported_image_type: { status: 415, title: 'Photos must be JPEG, PNG, HEIC, WebP or GIF images' },
  activation_delayed: { status: 403, title: 'This device cannot be set up with this account yet' },
  channel_unavailable: { status: 400, title: 'The account has no address for that channel' },
  'two_step.code_invalid': { status: 400, title: 'The second-factor code is wrong or was already used' },
  'two_step.challenge_invalid': {
    status: 400,
    title: 'This second-factor step is unknown, used or expired; start again',
  },
  'two_step.too_many_attempts': { status: 429, title: 'Too many wrong second-factor codes; start again' },
  'two_step.required': {
    status: 403,
    title: 'This account has two-step verification: give a second factor or a recovery code',
  },
  'two_step.already_enabled': { status: 409, title: 'An authenticator app is already enabled; remove it first' },
  'two_step.not_pending': { status: 409, title: 'There is no authenticator app enrolment to confirm; start one first' },
  'two_step.method_unavailable': { status: 400, title: 'This account has no second factor of that kind' },
  'passkey.invalid': { status: 400, title: 'The passkey answer could not be verified' },
  'account.locked': { status: 403, title: 'The owner locked this account; reset the password to open it again' },
  'account.suspended': {
    status: 403,
    title: 'Lanyard staff suspended this account; contact support',
    aliasOf: 'forbidden',
  },
  'staff.second_factor_required': {
    status: 403,
    title: 'Staff must enrol two-step verification (an authenticator app or a passkey) before using staff routes',
    aliasOf: 'forbidden',
  },
  'staff.session_idle': {
    status: 401,
    title: 'The staff session was idle for 30 minutes and has ended; sign in again',
    aliasOf: 'unauthenticated',
  },
  'staff.reason_required': {
    status: 400,
    title: 'Give the reason for looking at or acting on this account',
    aliasOf: 'validation_failed',
  },
  'staff.own_account': {
    status: 409,
    title: 'Staff cannot change their own staff role or suspend their own account',
    aliasOf: 'conflict',
  },
  'account.already_suspended': { status: 409, title: 'This account is suspended already', aliasOf: 'conflict' },
  'account.not_suspended': { status: 409, title: 'This account is not suspended', aliasOf: 'conflict' },
  'account.address_taken': { status: 409, title: 'Another account uses this address', aliasOf: 'conflict' },
  'account.address_unchanged': {
    status: 409,
    title: 'That is already the address of this account',
    aliasOf: 'conflict',
  },
  'device.locked_to_other_account': {
    status: 409,
    title: 'This device is locked to another account',
    aliasOf: 'conflict',
  },
  'device.imei_in_use': {
    status: 409,
    title: 'This IMEI belongs to another device of this account',
    aliasOf: 'conflict',
  },
  'device.link_in_progress': {
    status: 409,
    title: 'This device is being linked by another request; try again',
    aliasOf: 'conflict',
  },
  'device.erased': {
    status: 409,
    title: 'This device was erased and cannot receive commands until it is set up again',
    aliasOf: 'conflict',
  },
  'command.already_answered': { status: 409, title: 'This command was already answered', aliasOf: 'conflict' },
  'command.expired': { status: 409, title: 'This command has expired', aliasOf: 'conflict' },
  'cloud.item_exists': { status: 409, title: 'The item already exists (If-None-Match: *)', aliasOf: 'conflict' },
  'export.not_ready': { status: 409, title: 'The export is not ready yet', aliasOf: 'conflict' },
  'unlock_request.already_decided': {
    status: 409,
    title: 'This unlock request was decided already',
    aliasOf: 'conflict',
  },
  'unlock_request.closed': { status: 409, title: 'This unlock request has ended', aliasOf: 'conflict' },
  'unlock_request.no_lock': {
    status: 409,
    title: 'No lock is held on this device: there is nothing to release',
    aliasOf: 'conflict',
  },
  'unlock_request.same_approver': {
    status: 409,
    title: 'The device is in lost mode: a different staff member must give the second approval',
    aliasOf: 'conflict',
  },
  'unlock_request.too_many_proofs': {
    status: 409,
    title: 'This unlock request has as many proof files as it may take',
    aliasOf: 'conflict',
  },
  'unlock_request.unsupported_proof_type': {
    status: 415,
    title: 'A proof file must be a JPEG, PNG or WebP image or a PDF',
    aliasOf: 'unsupported_media_type',
  },
  'credits.insufficient': { status: 409, title: 'The credit balance is too low for this', aliasOf: 'conflict' },
  'credits.idempotency_key_reused': {
    status: 409,
    title: 'This idempotency key was used for a different change',
    aliasOf: 'conflict',
  },
  'bootloader.wait': {
    status: 403,
    title: 'The device has not been linked to its account long enough to unlock its bootloader',
    aliasOf: 'forbidden',
  },
  'bootloader.lost_mode': {
    status: 403,
    title: 'The device is in lost mode: its bootloader cannot be unlocked',
    aliasOf: 'forbidden',
  },
  'account_lock.link_invalid': {
    status: 400,
    title: 'This lock link is not valid, was already used, or its 7 days are over',
  },
  'recovery.cancel_invalid': {
    status: 400,
    title: 'This cancel link is not valid, or the recovery it cancels is over or already cancelled',
  },
  undo_link_invalid: { status: 400, title: 'This undo link is not valid, or its 7 days are over' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
  service_unavailable: { status: 503, title: 'The service is shutting down or not ready' },
  overloaded: { status: 503, title: 'The server is overloaded; try again after Retry-After seconds' },
} as const satisfies Record<string, { status: number; title: string; aliasOf?: string }>;

export type ErrorCode = keyof typeof errorRegistry;

export interface FieldError {
  path: string;
  message: string;
}

/** The one error type services throw; the HTTP layer turns it into problem+json. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string = errorRegistry[code].title,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.status = errorRegistry[code].status;
  }
}

/** A validation_failed error naming one field. */
export function invalidField(path: string, message: string): AppError {
  return new AppError('validation_failed', `${path} ${message}`, { errors: [{ path, message }] });
}
