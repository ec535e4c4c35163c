import type { Channel } from '../messaging/transports.js';

/**
 * Every kind of job and its payload as the jobs table holds it (JSON), like `MessageParams` for messages:
 * `jobs.enqueue` and the handler registered for the kind in src/app.ts both take their types from here,
 * so that a producer and its handler cannot disagree. A payload that carries personal data (an address,
 * a login, a code) is `Sealed` (sealed-payload.ts) and its handler opens it.
 */
export interface JobPayloads {
  /** A rendered email or text message (src/messaging/service.ts). */
  'message.send': Sealed<SealedMessage>;
  /** A recovery code asked for with a login (src/recovery/service.ts). */
  'recovery.request': Sealed<SealedRecoveryRequest>;
  /** The end of a recovery's waiting period, when it went without the second factor (src/recovery/service.ts). */
  'recovery.finish_waiting': { accountId: string; requestedAt: number };
  /** An OpenID back-channel logout to one app for one account (src/client-apps/service.ts). */
  'apps.backchannel_logout': Sealed<SealedBackchannelLogout>;
  /** One slice of an account's erasure, by the erasure's account hash (src/deletion/erasure.ts). */
  'account.erase': { erasure: string };
  /** One try of one webhook delivery (src/webhooks/service.ts). */
  'webhook.deliver': { deliveryId: string };
  /** The end of an unlock request's waiting period (src/unlock/service.ts). */
  'unlock.release': { id: string };
  /** The thumbnail of an uploaded photo (src/cloud/service.ts). */
  'cloud.thumbnail': { accountId: string; itemId: string; blobName: string };
  /** Blobs that a replaced or removed photo leaves behind (src/cloud/service.ts). */
  'cloud.blob-delete': { accountId: string; names: string[] };
  /** Building an export of an account's data (src/export/service.ts). */
  'cloud.export': { accountId: string; exportId: string };
  /** Removing a finished export when its time is up (src/export/service.ts). */
  'cloud.export-expire': { accountId: string; exportId: string };
  /** The end of a credits grant: what is left of it expires (src/credits/service.ts). */
  'credits.expire': { accountId: string; entryId: string };
}

/** A payload sealed by sealJobPayload; `T` is what it opens to (the type only: the row holds ciphertext). */
export interface Sealed<T> {
  sealed: string;
  /** Never set: carries `T` from the producer to the handler for the compiler. */
  readonly opensTo?: T;
}

/** What a message job opens to: the message as rendered when it was queued. */
export interface SealedMessage {
  channel: Channel;
  to: string;
  subject: string;
  text: string;
}

/** What a recovery job opens to: the login typed, and where the code should go. */
export interface SealedRecoveryRequest {
  login: string;
  channel: Channel;
}

/** What a back-channel logout job opens to. */
export interface SealedBackchannelLogout {
  clientId: string;
  sub: string;
  /** The one session that ended; without it, every session of the person. */
  sid?: string;
}
