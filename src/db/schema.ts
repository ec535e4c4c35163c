import type { Generated, Insertable, Kysely, Selectable, Transaction, Updateable } from 'kysely';

// Times are milliseconds since the epoch (bigint on PostgreSQL, integer on SQLite): one representation
// on both databases, cheap to compare and index.

export interface AccountsTable {
  id: string;
  status: 'active' | 'deletion_pending' | 'deletion_scheduled' | 'erasing';
  /** Keyed hash (blind index) of the normalized email: lookups never need the address itself. */
  email_lookup: string | null;
  phone_lookup: string | null;
  /**
   * The email, phone and name, sealed under the account's data key (src/accounts/sealed-profile.ts): the
   * database holds them only so. Rows read through AccountRepository carry them opened (AccountRow).
   */
  email_sealed: string | null;
  phone_sealed: string | null;
  name_sealed: string | null;
  password_hash: string;
  role: 'user' | 'support' | 'admin';
  locale: string;
  created_at: number;
  updated_at: number;
  password_changed_at: number;
}

export interface SessionsTable {
  account_id: string;
  id: string;
  /** SHA-256 of the bearer token; the token itself is never stored. */
  token_hash: string;
  kind: 'web' | 'api' | 'device';
  created_at: number;
  last_used_at: number;
  /** Absolute expiry; idle expiry is last_used_at plus the idle lifetime. */
  expires_at: number;
  /** When the password was last entered on this session (sign-in or re-authentication). */
  reauthenticated_at: number;
  /**
   * The IP address and client sealed under the account's data key (src/events/sealed-origin.ts); null
   * only for a row that never had them.
   */
  origin_sealed: string | null;
}

export interface VerificationCodesTable {
  id: string;
  purpose: string;
  /** Keyed hash of what the code is bound to (a destination, or an account and a new address). */
  subject_lookup: string;
  account_id: string | null;
  channel: 'email' | 'sms';
  code_hmac: string;
  attempts: number;
  max_attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface SecurityEventsTable {
  account_id: string;
  id: string;
  type: string;
  at: number;
  /** As in sessions. */
  origin_sealed: string | null;
  /** What the event says beyond its type (a staff member's reason), sealed under the account's data key. */
  detail_sealed: string | null;
}

export interface KnownClientsTable {
  account_id: string;
  client_lookup: string;
  first_seen_at: number;
}

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  account_id: string | null;
  run_at: number;
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  failed_at: number | null;
  created_at: number;
  /** Starts that never reported back (a crash, or a run past its lease); two park the job as failed. */
  unfinished_starts: Generated<number>;
}

export interface DevicesTable {
  account_id: string;
  id: string;
  /** Keyed hash of the normalized serial; the serial itself is not stored. */
  serial_lookup: string;
  /** The serial's last characters, so that the owner can tell two devices of one model apart. */
  serial_hint: string;
  model: string;
  /**
   * The name sealed under the account's data key (src/devices/sealed-fields.ts); null only for a device of
   * an account whose key was destroyed before it was sealed. DeviceRepository reads carry it opened (DeviceRow).
   */
  name_sealed: string | null;
  kind: 'phone' | 'tablet' | 'watch' | 'band' | 'other';
  /** The session that is the device's token; null after it was revoked (an erased device). */
  session_id: string | null;
  linked_at: number;
  last_seen_at: number;
  /** JSON {lat, lon, accuracy, at} of the last located position, sealed under the account's data key on disk. */
  last_location: string | null;
}

export interface DeviceLocksTable {
  /** Keyed hash of a serial or an IMEI: the table is no list of serials. */
  lookup: string;
  kind: 'serial' | 'imei';
  account_id: string;
  device_id: string;
  locked_at: number;
}

export interface DeviceCommandsTable {
  account_id: string;
  id: string;
  device_id: string;
  type: 'locate' | 'ring' | 'lock' | 'erase';
  message: string | null;
  /** Expiry is not stored as a status: a queued or delivered command past expires_at reads as expired. */
  status: 'queued' | 'delivered' | 'done' | 'failed';
  created_at: number;
  expires_at: number;
  delivered_at: number | null;
  completed_at: number | null;
}

export interface CloudAccountsTable {
  account_id: string;
  /** The account's change counter: every item write takes the next value. */
  last_seq: number;
  /** Bytes of live items (JSON bodies and photos as the client sent them), counted against the quota. */
  used_bytes: number;
  updated_at: number;
}

export interface CloudItemsTable {
  account_id: string;
  collection: 'contacts' | 'notes' | 'messages' | 'app-data' | 'photos';
  item_id: string;
  version: number;
  /** The account's change counter at this item's last change: delta sync reads rows past a cursor's seq. */
  seq: number;
  updated_at: number;
  /** 1 for a tombstone, kept so that delta sync can tell devices what was deleted. */
  deleted: number;
  /** A JSON item sealed under the account's data key (base64); null for photos and tombstones. */
  body: string | null;
  /** The photo's blob in the blob store (sealed); null for JSON items and tombstones. */
  blob_name: string | null;
  content_type: string | null;
  size: number;
  /** 1 once a thumbnail blob (`<blob_name>.thumb`) exists. */
  thumbnail: number;
}

export interface CloudExportsTable {
  account_id: string;
  id: string;
  status: 'pending' | 'ready' | 'failed' | 'expired';
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  blob_name: string | null;
  size: number | null;
  error: string | null;
}

/** Captcha payloads already accepted, so that each is accepted once; kept until the challenge expires. */
export interface AcceptedCaptchasTable {
  /** SHA-256 of the challenge's signature, which covers its random nonce and salt. */
  challenge_hash: string;
  expires_at: number;
}

/** An account's erasure; once completed, its tombstone (no personal data: a keyed hash of the id). */
export interface ErasuresTable {
  account_hash: string;
  /** Needed while the erasure runs; null once it completed. */
  account_id: string | null;
  status: 'scheduled' | 'erasing' | 'erased';
  requested_at: number;
  /** When the erasure starts: the confirmation, or the end of the grace period. */
  erase_at: number;
  /** When the account was deleted (the erasure began); null while only scheduled. */
  deleted_at: number | null;
  completed_at: number | null;
  /** JSON array of the erasure steps completed, in order. */
  steps: string;
  release_devices: number;
  job_id: string | null;
  cancel_token_hash: string | null;
}

/** Decisions and irreversible acts, without personal data. */
export interface AuditRecordsTable {
  id: string;
  at: number;
  action: string;
  /** A keyed hash of what the record is about. */
  subject: string;
  /** JSON, without personal data. */
  detail: string;
  /** Staff records: the staff member who acted; cleared when their account is erased. */
  actor_id: string | null;
  /** Staff records: the account acted on; cleared (with the reason) when it is erased. */
  account_id: string | null;
  /** Staff records: why, as staff wrote it. */
  reason: string | null;
}

export type UnlockRequestStatus = 'submitted' | 'waiting' | 'released' | 'rejected' | 'objected';

/** A request to release a device lock; see the migration for why it never names the lock's owner. */
export interface UnlockRequestsTable {
  id: string;
  status: UnlockRequestStatus;
  status_token_hash: string;
  /** JSON array of device_locks lookups. */
  lookups: string;
  serial_hint: string;
  /** The requester's email and proof, sealed under a server key bound to the id. */
  requester_sealed: string;
  locale: string;
  created_at: number;
  /** When staff approved or rejected it. */
  decided_at: number | null;
  /** Approved: when the lock is released unless the owner objects first. */
  release_at: number | null;
  released_at: number | null;
  /** When it ended other than by release: rejected or objected. */
  closed_at: number | null;
  /** Four eyes (a device in lost mode): the staff member who approved first, awaiting a second one. */
  first_approved_by: string | null;
  first_approved_at: number | null;
}

/** A file given as proof of an unlock request; its bytes are a sealed blob under the request. */
export interface UnlockRequestProofsTable {
  request_id: string;
  id: string;
  /** What the bytes are, sniffed from them. */
  content_type: string;
  size: number;
  created_at: number;
}

/** An app that signs in with Lanyard (an OAuth 2 / OpenID Connect client). */
export interface OauthAppsTable {
  client_id: string;
  name: string;
  /** JSON array. */
  redirect_uris: string;
  /** JSON array of the scopes the app may ask for. */
  scopes: string;
  secret_sealed: string;
  backchannel_logout_uri: string | null;
  created_at: number;
  type: 'web' | 'native' | 'spa';
  /** JSON array. */
  post_logout_redirect_uris: string;
  first_party: number;
  require_dpop: number;
  require_par: number;
  logo_uri: string | null;
  disabled_at: number | null;
  last_used_at: number | null;
}

/** One record of the OpenID Connect provider (grant, code, token, session, interaction). */
export interface OidcRecordsTable {
  model: string;
  id: string;
  /** JSON. */
  payload: string;
  account_id: string | null;
  client_id: string | null;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  consumed_at: number | null;
  /** Sessions only: the Lanyard web session this provider session was last used with. */
  web_session_id: string | null;
}

export interface OidcSigningKeysTable {
  id: string;
  jwk_sealed: string;
  created_at: number;
  /** From when it signs (milliseconds); null: since it was made. */
  sign_from: number | null;
  /** When it leaves the published key set; null: not planned. */
  retire_at: number | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  /** The signing secret, sealed under a server key. */
  secret: string;
  created_at: number;
  /** The secret before the last rotation, sealed; it signs too until previous_secret_until. */
  previous_secret: string | null;
  previous_secret_until: number | null;
}

export interface WebhookDeliveriesTable {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_attempt_at: number | null;
  next_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
}

export interface TotpFactorsTable {
  account_id: string;
  /** The base32 secret sealed under the account's data key (src/two-step/repository.ts). */
  secret_sealed: string;
  confirmed_at: number | null;
  /** The RFC 6238 time step of the last accepted code; a code of that step or earlier is refused. */
  last_step: number | null;
  created_at: number;
}

export interface PasskeysTable {
  account_id: string;
  id: string;
  credential_id: string;
  /** base64url COSE public key. */
  public_key: string;
  counter: number;
  /** JSON array of the transports the authenticator reported. */
  transports: string;
  name_sealed: string;
  created_at: number;
  last_used_at: number | null;
}

export interface RecoveryCodesTable {
  account_id: string;
  id: string;
  /** Keyed hash of the normalized code; the code itself is shown once and never stored. */
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface TwoStepChallengesTable {
  /** SHA-256 of the challenge id the client holds (or of the WebAuthn challenge). */
  id: string;
  account_id: string | null;
  purpose: 'sign_in' | 'passkey_sign_in' | 'passkey_register' | 'passkey_verify';
  session_kind: 'web' | 'api' | 'device' | null;
  webauthn_challenge: string | null;
  attempts: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AccountLocksTable {
  account_id: string;
  locked_at: number;
}

/** A "Lock my account" link of a notice: the keyed hash of its token, single-use, valid 7 days. */
export interface AccountLockLinksTable {
  token_hash: string;
  account_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

/** A password recovery without the second factor, waiting out its period (src/recovery/). */
export interface PendingRecoveriesTable {
  account_id: string;
  password_hash: string;
  channel: 'email' | 'sms';
  requested_at: number;
  completes_at: number;
  cancel_hash: string;
}

export interface CreditEntriesTable {
  account_id: string;
  id: string;
  kind: 'grant' | 'spend' | 'refund' | 'expiry';
  /** Signed: grants and refunds add, spends and expiries take away; the balance is the sum. */
  amount: number;
  reason: string;
  idempotency_key: string;
  /** 'staff:<account id>' or 'app:<client id>'. */
  actor: string;
  created_at: number;
  /** A grant's expiry (milliseconds), when it has one; null otherwise. */
  expires_at: number | null;
}

export interface CreditBalancesTable {
  account_id: string;
  /** The ledger's sum, cached so that a conditional update can refuse an overdraft atomically. */
  balance: number;
  updated_at: number;
}

export interface BootloaderKeysTable {
  kid: string;
  /** The raw 32-byte Ed25519 public key, base64url. */
  public_key: string;
  private_key_sealed: string;
  created_at: number;
  retire_at: number | null;
}

/** A suspended account (staff): no sign-in opens it until staff restore it. */
export interface AccountSuspensionsTable {
  account_id: string;
  suspended_at: number;
}

/**
 * On SQLite, a change to an account's sessions or account row that a session check reads, written by
 * triggers in the transaction of the change (migration 2026-12-10-auth-changes; src/db/auth-changes.ts
 * reads it). Empty on PostgreSQL, where the triggers NOTIFY instead.
 */
export interface AuthChangesTable {
  seq: Generated<number>;
  account_id: string;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  auth_changes: AuthChangesTable;
  verification_codes: VerificationCodesTable;
  security_events: SecurityEventsTable;
  known_clients: KnownClientsTable;
  jobs: JobsTable;
  devices: DevicesTable;
  device_locks: DeviceLocksTable;
  device_commands: DeviceCommandsTable;
  cloud_accounts: CloudAccountsTable;
  cloud_items: CloudItemsTable;
  cloud_exports: CloudExportsTable;
  accepted_captchas: AcceptedCaptchasTable;
  erasures: ErasuresTable;
  audit_records: AuditRecordsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  unlock_requests: UnlockRequestsTable;
  unlock_request_proofs: UnlockRequestProofsTable;
  oauth_apps: OauthAppsTable;
  oidc_records: OidcRecordsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  totp_factors: TotpFactorsTable;
  passkeys: PasskeysTable;
  recovery_codes: RecoveryCodesTable;
  two_step_challenges: TwoStepChallengesTable;
  account_locks: AccountLocksTable;
  account_lock_links: AccountLockLinksTable;
  pending_recoveries: PendingRecoveriesTable;
  credit_entries: CreditEntriesTable;
  credit_balances: CreditBalancesTable;
  bootloader_keys: BootloaderKeysTable;
  account_suspensions: AccountSuspensionsTable;
}

export type Db = Kysely<Database>;
/** Either the database or a transaction on it: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** The profile fields an account holds sealed, in clear. */
export interface AccountProfile {
  email: string | null;
  phone: string | null;
  name: string | null;
}
/** An account as stored: its profile only sealed. */
export type StoredAccountRow = Selectable<AccountsTable>;
/** An account as AccountRepository reads it: its sealed profile opened. */
export type AccountRow = StoredAccountRow & AccountProfile;
/** What AccountRepository writes: the profile in clear, which it seals. */
export type NewAccountRow = Insertable<AccountsTable> & Partial<AccountProfile>;
export type AccountUpdate = Updateable<AccountsTable> & Partial<AccountProfile>;
export type SessionRow = Selectable<SessionsTable>;
export type VerificationCodeRow = Selectable<VerificationCodesTable>;
export type SecurityEventRow = Selectable<SecurityEventsTable>;
export type JobRow = Selectable<JobsTable>;
/** A device as stored: its name only sealed. */
export type StoredDeviceRow = Selectable<DevicesTable>;
/** A device as DeviceRepository reads it: its name and location opened. */
export type DeviceRow = Omit<StoredDeviceRow, 'name_sealed'> & { name: string };
export type DeviceLockRow = Selectable<DeviceLocksTable>;
export type DeviceCommandRow = Selectable<DeviceCommandsTable>;
export type CloudItemRow = Selectable<CloudItemsTable>;
export type CloudExportRow = Selectable<CloudExportsTable>;
export type ErasureRow = Selectable<ErasuresTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type { Generated };
export type UnlockRequestRow = Selectable<UnlockRequestsTable>;
