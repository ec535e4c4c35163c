import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

// Real receivers for the outside world's providers: an SMTP server and an SMS provider's webhook, both
// listening on 127.0.0.1, so that tests see exactly what Lanyard puts on the wire.

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  /** Header names in lower case; folded lines joined; encoded words (RFC 2047) decoded. */
  headers: Record<string, string>;
  /** The body with its transfer encoding undone. */
  text: string;
  raw: string;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly url: string;
  readonly mails: ReceivedMail[];
  /** Stops listening: connections are then refused, like a provider that is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(text: string): Buffer {
  const unfolded = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unfolded.length; i++) {
    const hex = unfolded.slice(i + 1, i + 3);
    if (unfolded[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(unfolded[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, data: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

/** Splits a raw RFC 5322 message into decoded headers and body (single-part text, as Lanyard sends). */
export function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = decodeEncodedWords(line.slice(colon + 1).trim());
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body).toString('utf8')
      : encoding === 'base64'
        ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
        : body;
  return { headers, text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
}

/** Starts an SMTP server on 127.0.0.1 (a free port) that keeps every mail it accepts. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let port = 0;
  let server: SMTPServer;
  const listen = async () => {
    server = new SMTPServer({
      // Plain SMTP, as a local relay or a test catcher (Mailpit, MailHog) speaks it.
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          mails.push({
            envelopeFrom,
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            ...parseMail(raw),
            raw,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  };
  const stop = async () => {
    if (!server.server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    mails,
    stop,
    restart: listen,
    close: stop,
  };
}

export interface WebhookRequest {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The status this request was answered with. */
  status: number;
}

export interface SmsReceiver {
  readonly url: string;
  readonly requests: WebhookRequest[];
  /** The requests answered with a 2xx: the messages the provider took. */
  readonly accepted: WebhookRequest[];
  /** The status to answer with from now on (200 by default; 500 plays a provider that is down). */
  status: number;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 (a free port) that plays an SMS provider's webhook. */
export async function startSmsReceiver(): Promise<SmsReceiver> {
  const requests: WebhookRequest[] = [];
  const receiver = {
    url: '',
    requests,
    get accepted() {
      return requests.filter((r) => r.status >= 200 && r.status < 300);
    },
    status: 200,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the test then sees it was not JSON.
      }
      const status = receiver.status;
      requests.push({ method: request.method ?? '', headers: request.headers, body, status });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status < 300 ? '{"queued":true}' : '{"error":"unavailable"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return receiver;
}
