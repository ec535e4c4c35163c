import type { Executor } from '../db/schema.js';
import { openText, sealText } from '../crypto/sealing.js';
import { PermanentJobError, type JobService } from '../jobs/service.js';
import { renderMessage, type MessageKind, type MessageParams } from './templates.js';
import type { Channel, MessageTransport } from './transports.js';

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
  constructor(
    private readonly jobs: JobService,
    private readonly transport: MessageTransport,
    private readonly payloadKey: Buffer,
  ) {
    jobs.register(MESSAGE_JOB, (payload, job) => this.deliver(payload, job.id));
  }

  /** Renders the message now and queues it in the caller's transaction. */
  async enqueue<K extends MessageKind>(executor: Executor, request: MessageRequest<K>): Promise<void> {
    const rendered = renderMessage(request.kind, request.locale, request.params);
    // The text may hold a verification code: it waits in the database sealed, not in clear.
    const sealed = sealText(this.payloadKey, JSON.stringify({ channel: request.channel, to: request.to, ...rendered }), MESSAGE_JOB);
    await this.jobs.enqueue(executor, { kind: MESSAGE_JOB, payload: { sealed }, accountId: request.accountId ?? null, maxAttempts: 12 });
  }

  private async deliver(payload: unknown, jobId: string): Promise<void> {
    const sealed = (payload as { sealed?: unknown }).sealed;
    if (typeof sealed !== 'string') throw new PermanentJobError('message job without a sealed payload');
    const message = JSON.parse(openText(this.payloadKey, sealed, MESSAGE_JOB)) as { channel: Channel; to: string; subject: string; text: string };
    await this.transport.send({ id: jobId, ...message });
  }
}
