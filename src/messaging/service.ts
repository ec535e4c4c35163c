import { uuidv7 } from 'uuidv7';
import type { Executor } from '../db/schema.js';
import type { JobPayloads, SealedMessage } from '../jobs/kinds.js';
import { openJobPayload, sealJobPayload } from '../jobs/sealed-payload.js';
import { PermanentJobError, type JobService } from '../jobs/service.js';
import { renderMessage, type MessageKind, type MessageParams } from './templates.js';
import { PermanentDeliveryError, type Channel, type MessageTransport } from './transports.js';

export const MESSAGE_JOB = 'message.send';

export interface MessageRequest<K extends MessageKind> {
  channel: Channel;
  to: string;
  kind: K;
  locale: string;
  params: MessageParams[K];
  accountId?: string | null;
}

/**
 * Sends messages through a durable job written in the caller's transaction: a crash after commit does
 * not lose the message, and the job id doubles as the message id so that a retry is not a second copy.
 */
export class MessageService {
  private readonly jobs: JobService;
  private readonly transport: MessageTransport;
  private readonly payloadKey: Buffer;

  constructor(deps: {
    jobs: JobService;
    transport: MessageTransport;
    payloadKey: Buffer;
  }) {
    this.jobs = deps.jobs;
    this.transport = deps.transport;
    this.payloadKey = deps.payloadKey;
  }

  /** Renders the message now and queues it in the caller's transaction; returns the message (job) id. */
  async enqueue<K extends MessageKind>(executor: Executor, request: MessageRequest<K>): Promise<string> {
    const rendered = renderMessage(request.kind, request.locale, request.params);
    const id = uuidv7();
    const message: SealedMessage = { channel: request.channel, to: request.to, ...rendered };
    // The text may hold a verification code, and the address is personal data: both wait in the
    // database sealed, not in clear.
    const payload = sealJobPayload(this.payloadKey, MESSAGE_JOB, id, message);
    return this.jobs.enqueue(executor, {
      id,
      kind: MESSAGE_JOB,
      payload,
      accountId: request.accountId ?? null,
      maxAttempts: 12,
    });
  }

  /** Job: sends one queued message; the job id is its message id. */
  async deliver(payload: JobPayloads['message.send'], jobId: string): Promise<void> {
    const message = openJobPayload(this.payloadKey, MESSAGE_JOB, jobId, payload);
    try {
      await this.transport.send({ id: jobId, ...message });
    } catch (error) {
      if (error instanceof PermanentDeliveryError) throw new PermanentJobError(error.message);
      throw error;
    }
  }
}
