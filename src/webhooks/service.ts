import type { FastifyBaseLogger } from 'fastify';
import { hkdfSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { uuidv7 } from 'uuidv7';
import { iso, type Clock } from '../clock.js';
import { openText, sealText } from '../crypto/sealing.js';
import type { Db, Executor, WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import { checkOutboundUrl, guardedLookup, refusedAddress } from '../http/ssrf.js';
import type { JobPayloads } from '../jobs/kinds.js';
import type { JobService } from '../jobs/service.js';
import type { WebhookRepository } from './repository.js';

/** The events linked services can subscribe to. */
export const WEBHOOK_EVENTS = ['account.deleted'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const DELIVER_JOB = 'webhook.deliver';
/** A delivery is retried for this long after the event, then given up (and shown failed to staff). */
export const RETRY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;
/** Delay before try n+1 is base * 2^(n-1), capped: 10 s, 20 s, 40 s … up to 6 hours between tries. */
export const RETRY_BASE_MS = 10_000;
export const RETRY_MAX_MS = 6 * 60 * 60 * 1000;
/**
 * After a rotation the previous signing secret signs too, for this long: each delivery then carries two
 * signatures in webhook-signature (Standard Webhooks allows several, space-separated), and a receiver
 * holding either secret verifies it while it switches to the new one.
 */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
/** Well below the job lease, so that a hanging receiver never lets a second worker send the same try. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
  /** After a rotation: until when the previous secret signs too; null when only one secret signs. */
  previousSecretUntil: string | null;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: WebhookDeliveryRow['status'];
  attempts: number;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

/** The key that seals endpoint secrets at rest, derived from the master key for this purpose only. */
export function webhookSecretKey(master: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'lanyard/webhook-secret/v1', 32));
}

const secretAad = (endpointId: string) => `webhook-secret/v1\u0000${endpointId}`;
const previousSecretAad = (endpointId: string) => `webhook-secret/v1/previous\u0000${endpointId}`;
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The delay before the next try after `attempts` failed ones, with ±10% jitter so that retries spread. */
export function retryDelayMs(attempts: number): number {
  const delay = Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);
  return Math.round(delay * (0.9 + Math.random() * 0.2));
}

/**
 * Webhooks to linked services, per the Standard Webhooks spec: staff register endpoints; an event is
 * recorded as one delivery per subscribed endpoint in the caller's transaction (transactional outbox);
 * each try is a durable job that signs and POSTs the event, and schedules the next try with exponential
 * backoff until the receiver answers 2xx or three days have passed.
 */
export class WebhookService {
  private readonly db: Db;
  private readonly repository: WebhookRepository;
  private readonly jobs: JobService;
  private readonly secretKey: Buffer;
  private readonly clock: Clock;
  private readonly log: FastifyBaseLogger;
  private readonly outbound: { allowLoopback: boolean };

  constructor(deps: {
    db: Db;
    repository: WebhookRepository;
    jobs: JobService;
    secretKey: Buffer;
    clock: Clock;
    log: FastifyBaseLogger;
    outbound?: { allowLoopback: boolean };
  }) {
    this.db = deps.db;
    this.repository = deps.repository;
    this.jobs = deps.jobs;
    this.secretKey = deps.secretKey;
    this.clock = deps.clock;
    this.log = deps.log;
    this.outbound = deps.outbound ?? { allowLoopback: false };
  }

  /** Registers an endpoint; its signing secret is returned this once. */
  async register(input: { url: string; events: WebhookEvent[] }): Promise<WebhookView & { secret: string }> {
    const url = checkOutboundUrl(input.url, 'url', this.outbound).href;
    const events = [...new Set(input.events)];
    const id = uuidv7();
    const secret = newSecret();
    const row: WebhookEndpointRow = {
      id,
      url,
      events: JSON.stringify(events),
      secret: sealText(this.secretKey, secret, secretAad(id)),
      created_at: this.clock.now(),
      previous_secret: null,
      previous_secret_until: null,
    };
    await this.repository.createEndpoint(row);
    return { ...this.view(row), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await this.repository.listEndpoints()).map((row) => this.view(row));
  }

  async remove(id: string): Promise<void> {
    if (!(await this.repository.deleteEndpoint(id))) throw new AppError('not_found', 'No such webhook');
  }

  /**
   * A new signing secret, returned this once. The one it replaces goes on signing beside it for
   * SECRET_OVERLAP_MS (a secret rotated before that ends is dropped at once: two sign, never three).
   */
  async rotateSecret(
    executor: Executor,
    id: string,
  ): Promise<{ id: string; secret: string; previousSecretUntil: string }> {
    const endpoint = await this.repository.getEndpoint(id, executor);
    if (!endpoint) throw new AppError('not_found', 'No such webhook');
    const previous = openText(this.secretKey, endpoint.secret, secretAad(id));
    const secret = newSecret();
    const until = this.clock.now() + SECRET_OVERLAP_MS;
    await this.repository.setSecrets(executor, id, {
      secret: sealText(this.secretKey, secret, secretAad(id)),
      previous_secret: sealText(this.secretKey, previous, previousSecretAad(id)),
      previous_secret_until: until,
    });
    return { id, secret, previousSecretUntil: iso(until) };
  }

  /** The secrets that sign a delivery now: the current one, and the previous one while its overlap lasts. */
  private signingSecrets(endpoint: WebhookEndpointRow): string[] {
    const secrets = [openText(this.secretKey, endpoint.secret, secretAad(endpoint.id))];
    if (endpoint.previous_secret !== null && this.clock.now() < Number(endpoint.previous_secret_until ?? 0))
      secrets.push(openText(this.secretKey, endpoint.previous_secret, previousSecretAad(endpoint.id)));
    return secrets;
  }

  async deliveries(endpointId: string, limit = 100): Promise<DeliveryView[]> {
    if (!(await this.repository.getEndpoint(endpointId))) throw new AppError('not_found', 'No such webhook');
    return (await this.repository.listDeliveries(endpointId, limit)).map((row) => this.deliveryView(row));
  }

  /**
   * Staff: sends a delivery again (delivered, failed or still pending), with the same event id, so that
   * a receiver that took it once can tell. The try is a job, queued with the change; the retry window
   * counts from now, so a failing redelivery is tried again with backoff as a new one would be.
   */
  async redeliver(executor: Executor, endpointId: string, deliveryId: string): Promise<DeliveryView> {
    const delivery = await this.repository.getDelivery(deliveryId, executor);
    if (!delivery || delivery.endpoint_id !== endpointId)
      throw new AppError('not_found', 'No such delivery of this webhook');
    const now = this.clock.now();
    await this.repository.requeue(executor, deliveryId, now);
    await this.jobs.enqueue(executor, { kind: DELIVER_JOB, payload: { deliveryId }, maxAttempts: 5 });
    return this.deliveryView({ ...delivery, status: 'pending', next_attempt_at: now });
  }

  private deliveryView(row: WebhookDeliveryRow): DeliveryView {
    return {
      id: row.id,
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      attempts: row.attempts,
      lastError: row.last_error,
      lastAttemptAt: row.last_attempt_at === null ? null : iso(row.last_attempt_at),
      nextAttemptAt: row.next_attempt_at === null ? null : iso(row.next_attempt_at),
      deliveredAt: row.delivered_at === null ? null : iso(row.delivered_at),
      createdAt: iso(row.created_at),
    };
  }

  /**
   * Records an event for every endpoint subscribed to it, in the caller's transaction: it goes out if
   * and only if the change that caused it commits. `data` must hold no personal data.
   */
  async emit(executor: Executor, type: WebhookEvent, data: Record<string, unknown>): Promise<string> {
    const now = this.clock.now();
    const eventId = `msg_${uuidv7()}`;
    const payload = JSON.stringify({ type, timestamp: iso(now), data });
    for (const endpoint of await this.repository.listEndpoints(executor)) {
      if (!(JSON.parse(endpoint.events) as string[]).includes(type)) continue;
      const id = uuidv7();
      const created = await this.repository.createDelivery(executor, {
        id,
        endpoint_id: endpoint.id,
        event_id: eventId,
        event_type: type,
        payload,
        status: 'pending',
        attempts: 0,
        last_error: null,
        last_attempt_at: null,
        next_attempt_at: now,
        delivered_at: null,
        created_at: now,
      });
      if (created)
        await this.jobs.enqueue(executor, { kind: DELIVER_JOB, payload: { deliveryId: id }, maxAttempts: 5 });
    }
    return eventId;
  }

  /** Job: one try of one delivery. A failed try is recorded and the next one scheduled, not thrown. */
  async deliver(payload: JobPayloads['webhook.deliver']): Promise<void> {
    if (typeof payload?.deliveryId !== 'string') return;
    const delivery = await this.repository.getDelivery(payload.deliveryId);
    if (!delivery || delivery.status !== 'pending') return;
    const endpoint = await this.repository.getEndpoint(delivery.endpoint_id);
    if (!endpoint) return;
    const error = await this.post(endpoint, delivery);
    const now = this.clock.now();
    const attempts = delivery.attempts + 1;
    if (error === undefined) {
      await this.repository.updatePending(this.db, delivery.id, {
        status: 'delivered',
        attempts,
        last_error: null,
        last_attempt_at: now,
        next_attempt_at: null,
        delivered_at: now,
      });
      return;
    }
    const next = now + retryDelayMs(attempts);
    const giveUp = next > delivery.created_at + RETRY_WINDOW_MS;
    this.log.warn(
      { deliveryId: delivery.id, endpointId: endpoint.id, attempts, giveUp, error },
      'webhook delivery failed',
    );
    await this.db.transaction().execute(async (trx) => {
      const updated = await this.repository.updatePending(trx, delivery.id, {
        status: giveUp ? 'failed' : 'pending',
        attempts,
        last_error: error.slice(0, 500),
        last_attempt_at: now,
        next_attempt_at: giveUp ? null : next,
      });
      if (updated && !giveUp)
        await this.jobs.enqueue(trx, {
          kind: DELIVER_JOB,
          payload: { deliveryId: delivery.id },
          runAt: next,
          maxAttempts: 5,
        });
    });
  }

  /** Signs and POSTs the event; returns why it failed, or undefined when the receiver took it (2xx). */
  private async post(endpoint: WebhookEndpointRow, delivery: WebhookDeliveryRow): Promise<string | undefined> {
    // The receiver checks webhook-timestamp against its own clock to refuse replays, so it is the wall
    // clock's time of this try, whatever clock schedules the tries.
    const timestamp = new Date();
    const signature = this.signingSecrets(endpoint)
      .map((secret) => new Webhook(secret).sign(delivery.event_id, timestamp, delivery.payload))
      .join(' ');
    const url = new URL(endpoint.url);
    // Checked again at every try, after DNS: the name may point elsewhere now than at registration.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    const refused = isIP(literal) !== 0 ? refusedAddress(literal, this.outbound) : undefined;
    if (refused) return `the request was refused: ${refused}`;
    const body = Buffer.from(delivery.payload);
    return new Promise((resolve) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          'user-agent': 'Lanyard-Webhooks/1',
          'webhook-id': delivery.event_id,
          'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
          'webhook-signature': signature,
        },
        // The connection goes to the address this lookup checked: no second resolution to rebind.
        lookup: guardedLookup(this.outbound),
        // No redirect is followed (node:http never does): a redirect is an answer, not a success, and
        // following it could send the event somewhere staff never registered.
        timeout: REQUEST_TIMEOUT_MS,
      });
      request.on('response', (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? undefined : `the receiver answered ${status}`);
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        resolve(
          error.code === 'ESSRF'
            ? `the request was refused: ${error.message}`
            : `the request failed: ${error.code ?? error.message}`,
        );
      });
      request.end(body);
    });
  }

  private view(row: WebhookEndpointRow): WebhookView {
    return {
      id: row.id,
      url: row.url,
      events: JSON.parse(row.events) as WebhookEvent[],
      createdAt: iso(row.created_at),
      previousSecretUntil:
        row.previous_secret !== null && Number(row.previous_secret_until ?? 0) > this.clock.now()
          ? iso(Number(row.previous_secret_until))
          : null,
    };
  }
}
