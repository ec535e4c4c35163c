// The device side of Lanyard's HTTP API, with nothing but fetch: what a phone's system service would do.
// It imports nothing from the server, so that it can be lifted into a device build as it is.

export type DeviceKind = 'phone' | 'tablet' | 'watch' | 'band' | 'other';
export type CommandType = 'locate' | 'ring' | 'lock' | 'erase';

export interface DeviceInfo {
  id: string;
  name: string;
  model: string;
  kind: DeviceKind;
  serialHint: string;
  linkedAt: string;
  lastSeenAt: string;
  locked: boolean;
  tokenActive: boolean;
  lastLocation?: { lat: number; lon: number; accuracy: number; at: string } | null;
}

export interface DeviceCommand {
  id: string;
  type: CommandType;
  message?: string;
  createdAt: string;
}

export interface Location {
  lat: number;
  lon: number;
  accuracy: number;
}

export type BatchOp =
  | { op: 'put'; id: string; data: unknown; ifMatch?: number | '*' }
  | { op: 'delete'; id: string; ifMatch?: number | '*' };

export interface BatchItemResult {
  id: string;
  status: 200 | 204 | 409 | 400;
  version?: number;
  code?: string;
  detail?: string;
}

export interface ChangesPage {
  items: Array<{ id: string; version: number; updatedAt: string; data?: unknown }>;
  deleted: string[];
  cursor: string;
  hasMore: boolean;
}

/** A bootloader unlock authorisation (API.md): a statement and its Ed25519 signature, both base64url. */
export interface BootloaderAuthorisation {
  statement: string;
  signature: string;
}

export interface BootloaderStatement {
  serial: string;
  deviceId: string;
  accountHash: string;
  issuedAt: string;
  expiresAt: string;
  kid: string;
}

export interface Activation {
  locked: boolean;
  ownerHint?: string;
}

/** A problem+json answer from the server, or a server that could not be reached. */
export class LanyardError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** Talks to a Lanyard server as a device: links, polls and streams Find Device commands, answers them. */
export class LanyardDeviceClient {
  readonly server: string;

  constructor(
    server: string,
    private deviceToken?: string,
    private readonly userAgent = 'lanyard-device',
  ) {
    this.server = server.replace(/\/+$/, '');
  }

  get token(): string | undefined {
    return this.deviceToken;
  }

  private async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string | undefined } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json' };
    const token = options.token ?? this.deviceToken;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (error) {
      throw new LanyardError(
        0,
        'unreachable',
        `Cannot reach ${this.server}: ${(error as Error).cause ?? (error as Error).message}`,
      );
    }
    const text = await response.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      throw new LanyardError(
        response.status,
        String(body.code ?? 'http_error'),
        String(body.detail ?? `HTTP ${response.status}`),
        body,
      );
    }
    return body as T;
  }

  /** Signs in with the account (a short-lived API session used only to link). */
  async signIn(login: string, password: string): Promise<string> {
    const session = await this.call<{ token: string }>('POST', '/v1/sessions', {
      body: { login, password, kind: 'api' },
    });
    return session.token;
  }

  /** Ends an account session (the one used to link). */
  async signOutSession(accountToken: string): Promise<void> {
    await this.call('DELETE', '/v1/sessions/current', { token: accountToken });
  }

  /** Links this device to the signed-in account; keeps the device token for later calls. */
  async link(
    accountToken: string,
    device: { serial: string; model: string; name: string; kind: DeviceKind; imei?: string },
  ): Promise<DeviceInfo> {
    const linked = await this.call<{ device: DeviceInfo; deviceToken: string }>('POST', '/v1/devices', {
      token: accountToken,
      body: device,
    });
    this.deviceToken = linked.deviceToken;
    return linked.device;
  }

  /** The device as the server sees it. */
  async self(): Promise<DeviceInfo> {
    return this.call<DeviceInfo>('GET', '/v1/device');
  }

  /** Commands waiting for this device; the server marks them delivered. */
  async poll(): Promise<DeviceCommand[]> {
    return (await this.call<{ commands: DeviceCommand[] }>('GET', '/v1/device/commands')).commands;
  }

  async answer(commandId: string, result: { status: 'done' | 'failed'; location?: Location }): Promise<void> {
    await this.call('POST', `/v1/device/commands/${encodeURIComponent(commandId)}/result`, { body: result });
  }

  /** Signs out on the device with the account password: unlinks it and releases its lock. */
  async signOut(password: string): Promise<void> {
    await this.call('POST', '/v1/device/sign-out', { body: { password } });
    this.deviceToken = undefined;
  }

  /** Asks for a bootloader unlock authorisation (403 bootloader.wait with availableAt before the wait is over). */
  async bootloaderUnlock(serial: string): Promise<BootloaderAuthorisation> {
    return this.call('POST', '/v1/device/bootloader-unlock', { body: { serial } });
  }

  /** The public keys a bootloader verifies authorisations with (raw Ed25519, base64url). */
  async bootloaderKeys(): Promise<Array<{ kid: string; alg: string; publicKey: string }>> {
    return (
      await this.call<{ keys: Array<{ kid: string; alg: string; publicKey: string }> }>('GET', '/v1/bootloader/key')
    ).keys;
  }

  /** Forgets the device token, as a factory reset does. The server still holds the device's lock. */
  forgetToken(): void {
    this.deviceToken = undefined;
  }

  /** Up to 1,000 puts and deletes of one collection in one request, each with its own result. */
  async batch(
    collection: string,
    ops: BatchOp[],
    since?: string,
  ): Promise<{ results: BatchItemResult[]; cursor: string }> {
    return this.call('POST', `/v1/cloud/${encodeURIComponent(collection)}/batch`, {
      body: { ops, ...(since ? { since } : {}) },
    });
  }

  /** One page of what changed in a collection after the cursor (from the start without one). */
  async changes(collection: string, since?: string): Promise<ChangesPage> {
    return this.call(
      'GET',
      `/v1/cloud/${encodeURIComponent(collection)}${since ? `?since=${encodeURIComponent(since)}` : ''}`,
    );
  }

  /** What the activation check says about a serial: locked or not, and a masked hint of the owner. */
  async activation(serial: string): Promise<Activation> {
    return this.call<Activation>('GET', `/v1/activation/${encodeURIComponent(serial)}`, { token: '' });
  }

  /**
   * Opens the push channel (server-sent events) and calls onCommand for each command as it arrives.
   * Resolves 'ended' when the server says the token stopped working, 'closed' when the connection
   * closed otherwise; rejects when the stream cannot be opened.
   */
  async stream(
    onCommand: (command: DeviceCommand) => Promise<void>,
    options: { signal?: AbortSignal; onOpen?: () => void } = {},
  ): Promise<'ended' | 'closed'> {
    let response: Response;
    try {
      response = await fetch(`${this.server}/v1/device/commands/stream`, {
        headers: {
          authorization: `Bearer ${this.deviceToken ?? ''}`,
          accept: 'text/event-stream',
          'user-agent': this.userAgent,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      throw new LanyardError(0, 'unreachable', `Cannot reach ${this.server}: ${(error as Error).message}`);
    }
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      throw new LanyardError(
        response.status,
        String(body.code ?? 'http_error'),
        String(body.detail ?? `HTTP ${response.status}`),
        body,
      );
    }
    options.onOpen?.();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'closed';
        buffer += value.replace(/\r\n/g, '\n');
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event = parseEvent(block);
          if (event.type === 'ended') return 'ended';
          if (event.type === 'command' && event.data) await onCommand(JSON.parse(event.data) as DeviceCommand);
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return 'closed';
      throw error;
    } finally {
      // Closes the connection too, so that the server stops sending to a device that stopped listening.
      await reader.cancel().catch(() => {});
    }
  }
}

/** One server-sent event: its type and data lines; comment lines (keep-alives) are ignored. */
function parseEvent(block: string): { type: string; data: string } {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  return { type, data: data.join('\n') };
}
