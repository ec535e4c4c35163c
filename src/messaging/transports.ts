import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Transporter } from 'nodemailer';

export type Channel = 'email' | 'sms';

/** A message ready to go: rendered, addressed, with a stable id for de-duplication. */
export interface OutgoingMessage {
  id: string;
  channel: Channel;
  to: string;
  subject: string;
  text: string;
}

/** Thrown when the provider refused this very message (a bad address): retrying would not help. */
export class PermanentDeliveryError extends Error {}

/**
 * One way of delivering messages. Throwing means "not delivered; retry later", unless the error is a
 * PermanentDeliveryError.
 */
export interface MessageTransport {
  send(message: OutgoingMessage): Promise<void>;
  close?(): Promise<void>;
}

// SMTP replies about the recipient itself (RFC 5321): no such mailbox, not local, name not allowed.
// Other 5xx replies (authentication required, relay denied) are a server setting the operator can fix,
// so those messages are retried rather than dropped.
const RECIPIENT_REFUSED = new Set([550, 551, 553]);

/** Mail over SMTP with nodemailer. The Message-ID is derived from the job so a retry is recognisable. */
export class SmtpTransport implements MessageTransport {
  private readonly transporter: Transporter;
  constructor(
    url: string,
    private readonly from: string,
    private readonly messageIdDomain: string,
  ) {
    // nodemailer loads only when SMTP is configured.
    const nodemailer = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
    // nodemailer waits up to 2 minutes to connect and 10 minutes on a silent socket; a job's lease is
    // 5 minutes, and a send still hanging when it runs out would be sent again by the next worker.
    // Settings in the URL's query string still win over these.
    this.transporter = nodemailer.createTransport({
      url,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }
  async send(message: OutgoingMessage): Promise<void> {
    try {
      await this.transporter.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: `<${message.id}@${this.messageIdDomain}>`,
      });
    } catch (error) {
      const reply = (error as { responseCode?: unknown }).responseCode;
      if (typeof reply === 'number' && RECIPIENT_REFUSED.has(reply))
        throw new PermanentDeliveryError(`SMTP server refused the recipient: ${(error as Error).message}`);
      throw error;
    }
  }
  async close(): Promise<void> {
    this.transporter.close();
  }
}

// Answers that refuse this message itself (malformed, too long, unknown number); anything else (5xx,
// 429, an authentication or URL mistake the operator can fix) is retried.
const SMS_REFUSED = new Set([400, 413, 422]);

/** SMS through the provider's webhook: POST {to, text}; any 2xx is delivered. */
export class SmsWebhookTransport implements MessageTransport {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}
  async send(message: OutgoingMessage): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': message.id },
      body: JSON.stringify({ to: message.to, text: message.text }),
      signal: AbortSignal.timeout(this.timeoutMs),
      // A followed 301/302 turns the POST into a GET without the message, whose 200 would count as sent.
      redirect: 'manual',
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (SMS_REFUSED.has(response.status))
      throw new PermanentDeliveryError(`SMS webhook refused the message: ${response.status}`);
    if (!response.ok) throw new Error(`SMS webhook answered ${response.status}`);
  }
}

/**
 * The dev outbox: each message is logged and appended to outbox.jsonl, one JSON object a line.
 * A message id already in the file is not written again, so a retried job never doubles a line.
 */
export class DevOutboxTransport implements MessageTransport {
  private readonly file: string;
  private seen = new Set<string>();
  /** The file's size when last read or written; another size means another process wrote to it. */
  private knownSize = -1;
  private endsMidLine = false;
  constructor(
    dataDir: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.file = path.join(dataDir, 'outbox.jsonl');
  }
  private refresh(): void {
    const size = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    if (size === this.knownSize) return;
    this.seen = new Set();
    const content = size > 0 ? fs.readFileSync(this.file, 'utf8') : '';
    for (const line of content.split('\n')) {
      try {
        const id = (JSON.parse(line) as { id?: string }).id;
        if (id) this.seen.add(id);
      } catch {
        // A torn last line from a crash is skipped, not fatal.
      }
    }
    // After a torn write the next line must start on a line of its own, or both become unreadable.
    this.endsMidLine = content.length > 0 && !content.endsWith('\n');
    this.knownSize = size;
  }
  async send(message: OutgoingMessage): Promise<void> {
    this.refresh();
    if (this.seen.has(message.id)) return;
    const line = JSON.stringify({
      id: message.id,
      at: new Date().toISOString(),
      to: message.to,
      channel: message.channel,
      subject: message.subject,
      text: message.text,
    });
    const data = `${this.endsMidLine ? '\n' : ''}${line}\n`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const handle = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(handle, data);
      fs.fsyncSync(handle);
    } finally {
      fs.closeSync(handle);
    }
    this.seen.add(message.id);
    this.knownSize = fs.statSync(this.file).size;
    this.endsMidLine = false;
    this.log.info(
      { outbox: { to: message.to, channel: message.channel, subject: message.subject }, text: message.text },
      'dev outbox message',
    );
  }
}

/** Routes each message to the transport of its channel. */
export class ChannelRouter implements MessageTransport {
  constructor(private readonly byChannel: Record<Channel, MessageTransport>) {}
  send(message: OutgoingMessage): Promise<void> {
    return this.byChannel[message.channel].send(message);
  }
  async close(): Promise<void> {
    const unique = new Set(Object.values(this.byChannel));
    await Promise.all([...unique].map((t) => t.close?.()));
  }
}
