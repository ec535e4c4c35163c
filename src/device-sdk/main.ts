import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createPublicKey, verify } from 'node:crypto';
import {
  LanyardDeviceClient,
  LanyardError,
  type BootloaderAuthorisation,
  type BootloaderStatement,
  type DeviceCommand,
  type DeviceKind,
  type Location,
} from './client.js';
import { syncCollection, type CollectionSyncState } from './sync.js';

const USAGE = `lanyard-device: a simulated phone for a Lanyard server

Usage:
  lanyard-device link --server URL --login L --password P --serial S
                      [--model M] [--name N] [--kind phone|tablet|watch|band|other] [--imei I]
                      sign in, link this device and keep its device token
  lanyard-device status              what the server says about this device
  lanyard-device listen [--once] [--interval SECONDS] [--lat X --lon Y --accuracy M]
                      answer Find Device commands (push channel, polling as fallback);
                      --once answers what is waiting and exits
  lanyard-device sign-out --password P
                      sign out on the device: unlinks it and releases its lock
  lanyard-device factory-reset       forget the device token, then meet the activation lock
  lanyard-device login-app --server URL --client-id ID [--scope S]
                      sign in to an app the way a watch or TV does (OAuth device authorization
                      grant, RFC 8628): shows a code to enter at the server's /activate page,
                      waits, and keeps the app's tokens
  lanyard-device sync --items FILE [--collection contacts|notes|messages|app-data]
                      two-way sync of FILE (a JSON object: item id → item) with the account's
                      cloud: local changes go up in batches of 1,000, the server's come down into FILE

  lanyard-device bootloader-unlock
                      ask for a bootloader unlock authorisation and verify its Ed25519 signature
                      offline against the server's published keys, as a bootloader would; before
                      the wait is over, says when it may ask again

Every command takes --state FILE (default ./.lanyard-device.json), where the device keeps its server,
serial and token.`;

const KINDS: readonly DeviceKind[] = ['phone', 'tablet', 'watch', 'band', 'other'];

/** What the simulated device remembers between runs; a factory reset keeps only what the hardware has. */
interface DeviceState {
  server: string;
  serial: string;
  model: string;
  name: string;
  kind: DeviceKind;
  imei?: string;
  deviceId?: string;
  deviceToken?: string;
  /** An app's sign-in made by login-app: its tokens, kept like the device token. */
  appSession?: {
    clientId: string;
    sub: string;
    accessToken: string;
    refreshToken?: string;
    idToken?: string;
    expiresAt?: string;
  };
  /** Per collection: the sync cursor and what was last synced of each item. */
  sync?: Record<string, CollectionSyncState>;
}

class UsageError extends Error {}

const out = (line: string) => process.stdout.write(`${line}\n`);

function readState(file: string): DeviceState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`no device state in ${file}; run "lanyard-device link" first`);
  }
  return JSON.parse(text) as DeviceState;
}

/** Written to a temporary file and renamed, readable by the owner only: it holds the device token. */
function writeState(file: string, state: DeviceState): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function forgetToken(file: string, state: DeviceState): DeviceState {
  const { deviceToken: _token, deviceId: _id, ...kept } = state;
  writeState(file, kept);
  return kept;
}

function required(values: Record<string, unknown>, ...names: string[]): void {
  const missing = names.filter((name) => typeof values[name] !== 'string' || values[name] === '');
  if (missing.length) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
}

async function printActivation(client: LanyardDeviceClient, serial: string): Promise<void> {
  const lock = await client.activation(serial);
  if (lock.locked)
    out(
      `Activation lock: locked to ${lock.ownerHint ?? 'an account'}. Sign in with that account to set this device up.`,
    );
  else out('Activation lock: none. Anyone can set this device up.');
}

async function link(args: string[], stateFile: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      login: { type: 'string' },
      password: { type: 'string' },
      serial: { type: 'string' },
      model: { type: 'string', default: 'Lanyard Phone 1' },
      name: { type: 'string' },
      kind: { type: 'string', default: 'phone' },
      imei: { type: 'string' },
      state: { type: 'string' },
    },
  });
  required(values, 'server', 'login', 'password', 'serial');
  if (!KINDS.includes(values.kind as DeviceKind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')}`);
  const state: DeviceState = {
    server: values.server!,
    serial: values.serial!,
    model: values.model!,
    name: values.name ?? values.model!,
    kind: values.kind as DeviceKind,
    ...(values.imei ? { imei: values.imei } : {}),
  };
  const client = new LanyardDeviceClient(state.server);
  const accountToken = await client.signIn(values.login!, values.password!);
  try {
    const device = await client.link(accountToken, {
      serial: state.serial,
      model: state.model,
      name: state.name,
      kind: state.kind,
      ...(state.imei ? { imei: state.imei } : {}),
    });
    writeState(stateFile, { ...state, deviceId: device.id, deviceToken: client.token! });
    out(`Linked "${device.name}" (${device.model}) as device ${device.id}. It is locked to your account.`);
    return 0;
  } catch (error) {
    if (error instanceof LanyardError && error.code === 'device.locked_to_other_account') {
      process.stderr.write(`lanyard-device: ${error.detail}\n`);
      await printActivation(client, state.serial);
      return 1;
    }
    throw error;
  } finally {
    // The account session was only needed to link; the device keeps its own token.
    await client.signOutSession(accountToken).catch(() => {});
  }
}

async function status(stateFile: string): Promise<number> {
  const state = readState(stateFile);
  const client = new LanyardDeviceClient(state.server, state.deviceToken);
  out(`Server: ${state.server}`);
  out(`Serial: ${state.serial}`);
  if (!state.deviceToken) {
    out('Not linked: this device holds no device token.');
    await printActivation(client, state.serial);
    return 0;
  }
  try {
    const device = await client.self();
    out(`Linked as device ${device.id}: "${device.name}" (${device.model}, ${device.kind})`);
    out(`Locked: ${device.locked ? 'yes' : 'no'}`);
    out(`Linked at: ${device.linkedAt}`);
    out(`Last seen: ${device.lastSeenAt}`);
    return 0;
  } catch (error) {
    if (error instanceof LanyardError && error.status === 401) {
      out('Not linked: the device token no longer works (the device was removed from the account).');
      return 0;
    }
    throw error;
  }
}

interface Listener {
  handle(command: DeviceCommand): Promise<void>;
  erased: boolean;
}

function listener(client: LanyardDeviceClient, stateFile: string, state: DeviceState, location: Location): Listener {
  const self: Listener = {
    erased: false,
    async handle(command) {
      if (self.erased) return;
      switch (command.type) {
        case 'ring':
          out(command.message ? `RING: ${command.message}` : 'RING');
          await client.answer(command.id, { status: 'done' });
          break;
        case 'lock':
          out(command.message ? `LOCKED: ${command.message}` : 'LOCKED');
          await client.answer(command.id, { status: 'done' });
          break;
        case 'locate':
          await client.answer(command.id, { status: 'done', location });
          out(`LOCATED: ${location.lat}, ${location.lon} (±${location.accuracy} m)`);
          break;
        case 'erase':
          await client.answer(command.id, { status: 'done' });
          forgetToken(stateFile, state);
          self.erased = true;
          out('ERASED: this device was wiped and forgot its token (factory reset).');
          break;
        default:
          await client.answer((command as DeviceCommand).id, { status: 'failed' });
          out(`UNKNOWN COMMAND: ${(command as DeviceCommand).type}`);
      }
    },
  };
  return self;
}

async function listen(args: string[], stateFile: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      once: { type: 'boolean', default: false },
      interval: { type: 'string', default: '5' },
      state: { type: 'string' },
      lat: { type: 'string', default: '40.4168' },
      lon: { type: 'string', default: '-3.7038' },
      accuracy: { type: 'string', default: '15' },
    },
  });
  const location = { lat: Number(values.lat), lon: Number(values.lon), accuracy: Number(values.accuracy) };
  if (Object.values(location).some((n) => !Number.isFinite(n)))
    throw new UsageError('--lat, --lon and --accuracy must be numbers');
  const intervalMs = Number(values.interval) * 1000;
  if (!(intervalMs > 0)) throw new UsageError('--interval must be a positive number of seconds');
  const state = readState(stateFile);
  if (!state.deviceToken) throw new UsageError('this device is not linked; run "lanyard-device link" first');
  const client = new LanyardDeviceClient(state.server, state.deviceToken);
  const device = listener(client, stateFile, state, location);

  if (values.once) {
    const commands = await client.poll();
    if (commands.length === 0) out('No commands waiting.');
    for (const command of commands) await device.handle(command);
    return 0;
  }

  const stop = new AbortController();
  const quit = () => stop.abort();
  process.once('SIGINT', quit);
  process.once('SIGTERM', quit);
  let polling = false;
  while (!stop.signal.aborted && !device.erased) {
    try {
      const outcome = await client.stream((command) => device.handle(command), {
        signal: stop.signal,
        onOpen: () => {
          polling = false;
          out('Listening for Find Device commands (push channel).');
        },
      });
      if (outcome === 'ended' && !device.erased) {
        out('This device was removed from the account or linked again elsewhere; its token no longer works.');
        return 3;
      }
    } catch (error) {
      if (stop.signal.aborted) break;
      if (error instanceof LanyardError && error.status === 401) throw error;
      if (!polling)
        out(`Push channel unavailable (${(error as Error).message}); polling every ${intervalMs / 1000} s.`);
      polling = true;
      try {
        for (const command of await client.poll()) await device.handle(command);
      } catch (pollError) {
        if (pollError instanceof LanyardError && pollError.status === 401) throw pollError;
      }
    }
    if (!device.erased) await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => {});
  }
  return 0;
}

async function signOut(args: string[], stateFile: string): Promise<number> {
  const { values } = parseArgs({ args, options: { password: { type: 'string' }, state: { type: 'string' } } });
  required(values, 'password');
  const state = readState(stateFile);
  if (!state.deviceToken) throw new UsageError('this device is not linked');
  await new LanyardDeviceClient(state.server, state.deviceToken).signOut(values.password!);
  forgetToken(stateFile, state);
  out('Signed out: the device is unlinked from the account and its lock is released.');
  return 0;
}

/**
 * What a bootloader does with an authorisation: finds the key it names among the published ones and
 * verifies the signature over the statement's bytes, with nothing but Node's own Ed25519.
 */
export function verifyBootloaderAuthorisation(
  authorisation: BootloaderAuthorisation,
  keys: Array<{ kid: string; publicKey: string }>,
  serial: string,
  now = Date.now(),
): BootloaderStatement {
  const bytes = Buffer.from(authorisation.statement, 'base64url');
  const statement = JSON.parse(bytes.toString('utf8')) as BootloaderStatement;
  const key = keys.find((k) => k.kid === statement.kid);
  if (!key) throw new Error(`the statement names key ${statement.kid}, which the server does not publish`);
  // A raw Ed25519 public key, as a JWK, which Node takes without any ASN.1 of our own.
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
  if (!verify(null, bytes, publicKey, Buffer.from(authorisation.signature, 'base64url')))
    throw new Error('the signature does not verify');
  if (statement.serial !== serial)
    throw new Error(`the statement is for serial ${statement.serial}, not this device's`);
  if (Date.parse(statement.expiresAt) <= now) throw new Error(`the statement expired at ${statement.expiresAt}`);
  return statement;
}

async function bootloaderUnlock(stateFile: string): Promise<number> {
  const state = readState(stateFile);
  if (!state.deviceToken) throw new UsageError('this device is not linked; run "lanyard-device link" first');
  const client = new LanyardDeviceClient(state.server, state.deviceToken);
  let authorisation: BootloaderAuthorisation;
  try {
    authorisation = await client.bootloaderUnlock(state.serial);
  } catch (error) {
    if (
      error instanceof LanyardError &&
      error.code === 'bootloader.wait' &&
      typeof error.body.availableAt === 'string'
    ) {
      out(`Not yet: this device may ask for a bootloader unlock from ${error.body.availableAt}.`);
      return 1;
    }
    throw error;
  }
  const statement = verifyBootloaderAuthorisation(authorisation, await client.bootloaderKeys(), state.serial);
  out(
    `Bootloader unlock authorised for ${statement.serial} until ${statement.expiresAt}; the signature verifies with key ${statement.kid}.`,
  );
  return 0;
}

async function factoryReset(stateFile: string): Promise<number> {
  const state = forgetToken(stateFile, readState(stateFile));
  out('Factory reset: the device forgot its token.');
  await printActivation(new LanyardDeviceClient(state.server), state.serial);
  return 0;
}

async function sync(args: string[], stateFile: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      items: { type: 'string' },
      collection: { type: 'string', default: 'contacts' },
      state: { type: 'string' },
    },
  });
  required(values, 'items');
  const collection = values.collection!;
  if (!['contacts', 'notes', 'messages', 'app-data'].includes(collection))
    throw new UsageError('--collection must be contacts, notes, messages or app-data');
  const state = readState(stateFile);
  if (!state.deviceToken) throw new UsageError('this device is not linked');
  let local: Record<string, unknown> = {};
  if (fs.existsSync(values.items!)) {
    const parsed: unknown = JSON.parse(fs.readFileSync(values.items!, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UsageError(`${values.items} must hold a JSON object of item id → item`);
    local = parsed as Record<string, unknown>;
  }
  const synced = state.sync?.[collection] ?? { items: {} };
  const report = await syncCollection(
    new LanyardDeviceClient(state.server, state.deviceToken),
    collection,
    local,
    synced,
  );
  // The items first: a crash between the two writes then only makes the next sync upload again.
  const temporary = `${values.items}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(local, null, 2)}\n`);
  fs.renameSync(temporary, values.items!);
  writeState(stateFile, { ...state, sync: { ...state.sync, [collection]: synced } });
  out(
    `Synced ${collection}: ${report.uploaded} uploaded, ${report.deleted} deleted, ${report.conflicts} conflicts (the server's version kept), ` +
      `${report.invalid} refused; ${report.downloaded} downloaded, ${report.removed} removed; ${Object.keys(local).length} items on the device.`,
  );
  return report.invalid > 0 ? 1 : 0;
}

/**
 * Signs in to an app with the device authorization grant, with openid-client (the certified relying
 * party) against what the server's discovery advertises: the person enters the code on a phone or
 * computer; the simulator polls (slowing down when told) until they allow it, decline, or the code expires.
 */
async function loginApp(args: string[], file: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string', default: 'openid profile' },
      state: { type: 'string' },
    },
  });
  required(values, 'server', 'client-id');
  const openid = await import('openid-client');
  const server = new URL(values.server!);
  // http only for a server on this machine or a test network: the simulator's own choice, as `link` makes it.
  const config = await openid.discovery(
    server,
    values['client-id']!,
    undefined,
    openid.None(),
    server.protocol === 'http:' ? { execute: [openid.allowInsecureRequests] } : undefined,
  );
  const started = await openid.initiateDeviceAuthorization(config, { scope: values.scope! });
  out(`To sign in, visit ${started.verification_uri} and enter the code ${started.user_code}`);
  if (started.verification_uri_complete) out(`(or open ${started.verification_uri_complete})`);
  let tokens;
  try {
    tokens = await openid.pollDeviceAuthorizationGrant(config, started);
  } catch (error) {
    if (error instanceof openid.ResponseBodyError && error.error === 'access_denied') {
      process.stderr.write('lanyard-device: the sign-in was declined\n');
      return 1;
    }
    if (error instanceof openid.ResponseBodyError && error.error === 'expired_token') {
      process.stderr.write('lanyard-device: the code expired before anyone entered it; run login-app again\n');
      return 1;
    }
    throw error;
  }
  const sub = tokens.claims()?.sub ?? '';
  let state: DeviceState | undefined;
  try {
    state = readState(file);
  } catch {
    state = undefined;
  }
  const appSession = {
    clientId: values['client-id']!,
    sub,
    accessToken: tokens.access_token,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(tokens.id_token ? { idToken: tokens.id_token } : {}),
    ...(tokens.expires_in ? { expiresAt: new Date(Date.now() + tokens.expires_in * 1000).toISOString() } : {}),
  };
  writeState(file, {
    ...(state ?? { server: server.origin, serial: '', model: '', name: '', kind: 'other' }),
    appSession,
  });
  out(`Signed in to the app as ${sub}`);
  return 0;
}

/** Runs one `lanyard-device` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const stateFile = parseArgs({ args: rest, options: { state: { type: 'string' } }, strict: false }).values.state;
  const file = typeof stateFile === 'string' ? stateFile : '.lanyard-device.json';
  try {
    switch (command) {
      case 'link':
        return await link(rest, file);
      case 'status':
        return await status(file);
      case 'listen':
        return await listen(rest, file);
      case 'sign-out':
        return await signOut(rest, file);
      case 'factory-reset':
        return await factoryReset(file);
      case 'login-app':
        return await loginApp(rest, file);
      case 'sync':
        return await sync(rest, file);
      case 'bootloader-unlock':
        return await bootloaderUnlock(file);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`lanyard-device: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof LanyardError) {
      process.stderr.write(`lanyard-device: ${error.detail} (${error.code})\n`);
      return 1;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`lanyard-device: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`lanyard-device: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
