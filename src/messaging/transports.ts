import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export type Channel = 'email' | 'sms';

/** A message ready to go: rendered, addressed, with a stable id for de-duplication. */
export interface OutgoingMessage {
  id: string;
  channel: Channel;
  to: string;
  subject: string;
  text: string;
}

/** One way of delivering messages. Throwing means "not delivered; retry later". */
export interface MessageTransport {
  send(message: OutgoingMessage): Promise<void>;
  close?(): Promise<void>;
}

/** Mail over SMTP with nodemailer. The Message-ID is derived from the job so a retry is recognisable. */
export class SmtpTransport implements MessageTransport {
  private readonly transporter: Transporter;
  constructor(
    url: string,
    private readonly from: string,
    private readonly messageIdDomain: string,
  ) {
    this.transporter = nodemailer.createTransport(url);
  }
  async send(message: OutgoingMessage): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      messageId: `<${message.id}@${this.messageIdDomain}>`,
    });
  }
  async close(): Promise<void> {
    this.transporter.close();
  }
}

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
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`SMS webhook answered ${response.status}`);
  }
}

/**
 * The dev outbox: each message is logged and appended to outbox.jsonl, one JSON object a line.
 * A message id already in the file is not written again, so a retried job never doubles a line.
 */
export class DevOutboxTransport implements MessageTransport {
  private readonly file: string;
  private seen: Set<string> | undefined;
  constructor(
    dataDir: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.file = path.join(dataDir, 'outbox.jsonl');
  }
  private loadSeen(): Set<string> {
    if (!this.seen) {
      this.seen = new Set();
      if (fs.existsSync(this.file)) {
        for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
          try {
            const id = (JSON.parse(line) as { id?: string }).id;
            if (id) this.seen.add(id);
          } catch {
            // A torn last line from a crash is skipped, not fatal.
          }
        }
      }
    }
    return this.seen;
  }
  async send(message: OutgoingMessage): Promise<void> {
    const seen = this.loadSeen();
    if (seen.has(message.id)) return;
    const line = JSON.stringify({ id: message.id, at: new Date().toISOString(), to: message.to, channel: message.channel, subject: message.subject, text: message.text });
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const handle = fs.openSync(this.file, 'a', 0o600);
    try {
      fs.writeSync(handle, `${line}\n`);
      fs.fsyncSync(handle);
    } finally {
      fs.closeSync(handle);
    }
    seen.add(message.id);
    this.log.info({ outbox: { to: message.to, channel: message.channel, subject: message.subject }, text: message.text }, 'dev outbox message');
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
