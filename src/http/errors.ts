/** Every error code the API answers with: its HTTP status and a title that explains it to a person. */
export const errorRegistry = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_credentials: { status: 401, title: 'The login or password is wrong' },
  unauthenticated: { status: 401, title: 'Sign in first' },
  reauthentication_required: { status: 403, title: 'Enter your password again to continue' },
  csrf_failed: { status: 403, title: 'The CSRF token is missing or wrong' },
  forbidden: { status: 403, title: 'This is not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  code_invalid: { status: 400, title: 'The verification code is wrong' },
  code_expired: { status: 400, title: 'The verification code has expired; ask for a new one' },
  too_many_attempts: { status: 429, title: 'Too many wrong codes; ask for a new one' },
  rate_limited: { status: 429, title: 'Too many requests; try again later' },
  captcha_required: { status: 400, title: 'Solve the captcha to continue' },
  payload_too_large: { status: 413, title: 'The request is too large' },
  unsupported_media_type: { status: 415, title: 'Send application/json' },
  devices_still_linked: { status: 409, title: 'Devices are still linked to this account' },
  quota_exceeded: { status: 413, title: 'The account has no storage left for this' },
  cursor_invalid: { status: 400, title: 'The sync cursor is not one this server gave out; sync again from the start' },
  unsupported_image_type: { status: 415, title: 'Photos must be JPEG, PNG, HEIC, WebP or GIF images' },
  activation_delayed: { status: 403, title: 'This device cannot be set up with this account yet' },
  channel_unavailable: { status: 400, title: 'The account has no address for that channel' },
  undo_link_invalid: { status: 400, title: 'This undo link is not valid, or its 7 days are over' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
  service_unavailable: { status: 503, title: 'The service is shutting down or not ready' },
} as const satisfies Record<string, { status: number; title: string }>;

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
