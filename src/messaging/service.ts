import { uuidv7 } from 'uuidv7';
import type { Executor } from '../db/schema.js';
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

interface SealedMessage {
  channel: Channel;
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends messages through a durable job written in the caller's transaction: a crash after commit does
 * not lose the message, and the job id doubles as the message id so that a retry is not a second copy.
 */
export class MessageService {
  constructor(
    private readonly jobs: JobService,
    private readonly transport: MessageTransport,
    private readonly payloadKey: Buffer,
  ) {
    jobs.register(MESSAGE_JOB, (payload, job) => this.deliver(payload, job.id));
  }

  /** Renders the message now and queues it in the caller's transaction; returns the message (job) id. */
  async enqueue<K extends MessageKind>(executor: Executor, request: MessageRequest<K>): Promise<string> {
    const rendered = renderMessage(request.kind, request.locale, request.params);
    const id = uuidv7();
    const message: SealedMessage = { channel: request.channel, to: request.to, ...rendered };
    // The text may hold a verification code, and the address is personal data: both wait in the
    // database sealed, not in clear.
    const payload = sealJobPayload(this.payloadKey, MESSAGE_JOB, id, message);
    return this.jobs.enqueue(executor, { id, kind: MESSAGE_JOB, payload, accountId: request.accountId ?? null, maxAttempts: 12 });
  }

  private async deliver(payload: unknown, jobId: string): Promise<void> {
    const message = openJobPayload<SealedMessage>(this.payloadKey, MESSAGE_JOB, jobId, payload);
    try {
      await this.transport.send({ id: jobId, ...message });
    } catch (error) {
      if (error instanceof PermanentDeliveryError) throw new PermanentJobError(error.message);
      throw error;
    }
  }
}
