import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { DeviceRow } from '../db/schema.js';
import type { DeviceCommandService, DeliveredCommand } from './commands.js';
import type { DeviceSignal, DeviceSignals } from './service.js';

// Proxies close connections that stay silent; a comment line now and then keeps the stream open.
const HEARTBEAT_MS = 20_000;

/**
 * Server-sent events for one device: every queued command at once, then each new command as it is
 * created (`event: command`), and `event: ended` when the device's token stops working.
 */
export class CommandStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly commands: DeviceCommandService,
    private readonly signals: DeviceSignals,
  ) {}

  /** Takes over the response and keeps it open until the device goes away or its token ends. */
  async serve(
    request: FastifyRequest,
    reply: FastifyReply,
    device: DeviceRow,
    pending: () => Promise<DeliveredCommand[]>,
  ): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    this.open.add(raw);

    const send = (command: DeliveredCommand) => {
      if (!raw.writableEnded) raw.write(`event: command\nid: ${command.id}\ndata: ${JSON.stringify(command)}\n\n`);
    };
    // Work is done one step at a time, in order, so that commands reach the device in creation order.
    let chain = Promise.resolve();
    const step = (work: () => Promise<void>) => {
      chain = chain.then(work).catch((error: unknown) => {
        request.log.warn({ err: error }, 'command stream failed');
        raw.end();
      });
    };
    const handle = (signal: DeviceSignal) =>
      step(async () => {
        if (raw.writableEnded) return;
        if (signal.type === 'ended') {
          raw.end('event: ended\ndata: {}\n\n');
          return;
        }
        const command = await this.commands.deliverById(device, signal.commandId);
        if (command) send(command);
      });
    // Subscribe before reading what is queued, so that a command created in between is not missed.
    const unsubscribe = this.signals.subscribe(device.account_id, device.id, handle);
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    raw.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      this.open.delete(raw);
    });

    raw.write(': connected\n\n');
    step(async () => {
      for (const command of await pending()) send(command);
    });
  }

  /** Ends every open stream, so that the server can close. */
  closeAll(): void {
    for (const raw of this.open) raw.end();
    this.open.clear();
  }
}
