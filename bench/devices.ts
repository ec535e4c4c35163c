// GET /v1/devices and GET /v1/activation/{serial} with 10,000 and then 100,000 accounts (3 devices each) in
// the database: both are index lookups, so their figures should not move as the tables grow tenfold.
import { randomBytes } from 'node:crypto';
import { maskEmail } from '../src/accounts/addresses.js';
import type { Seeder, SeedReport } from '../src/cli/seed.js';
import { api, linkDevice } from './api.js';
import { memoryOf, withSeededServer, loadAverageNow, type BenchDialect, type PartOutcome } from './fresh-server.js';
import { withServerCpu, type LoadRun } from './load.js';
import { round } from './stats.js';
import { checkedRun, loadRotating, sampleIndexes, shuffled } from './rotating-load.js';
import { signUp } from './seed.js';
import type { ServerBuild } from './server.js';

export interface DevicesSettings {
  /** Account counts measured in turn; the database only grows between them. */
  accountSteps: number[];
  devicesPerAccount: number;
  connections: number;
  seconds: number;
  /** Accounts whose tokens GET /v1/devices rotates through (random among all of them, plus the real ones). */
  tokenSample: number;
  /** Locked serials the activation check rotates through (random among all devices). */
  serialSample: number;
  /** Accounts made through the API, each with three devices linked through POST /v1/devices. */
  realAccounts: number;
}

export const DEFAULT_DEVICES_SETTINGS: DevicesSettings = {
  accountSteps: [10_000, 100_000],
  devicesPerAccount: 3,
  connections: 32,
  seconds: 8,
  tokenSample: 2000,
  serialSample: 20_000,
  realAccounts: 2,
};

export interface DevicesStep {
  accounts: number;
  devices: number;
  /** What seeding up to this step wrote, and how long it took. */
  seed: SeedReport;
  /** Checkpoints after seeding, and VACUUM (ANALYZE) on PostgreSQL (Seeder.settle). */
  settleSeconds: number;
  list: LoadRun;
  activation: LoadRun;
  serverRssMiB?: number;
}

export interface Ratio {
  requestsPerSecond: number;
  p99: number;
  serverMicrosPerRequest: number | undefined;
}

export interface DevicesResult extends PartOutcome {
  settings: DevicesSettings;
  steps: DevicesStep[];
  /** The largest step's figure over the smallest's (1.0 = flat). */
  ratios?: { list: Ratio; activation: Ratio };
}

const ratioOf = (big: LoadRun, small: LoadRun): Ratio => ({
  requestsPerSecond: round(big.requestsPerSecond / small.requestsPerSecond, 2),
  p99: round(big.latencyMs.p99 / Math.max(small.latencyMs.p99, 1), 2),
  serverMicrosPerRequest:
    big.serverMicrosPerRequest !== undefined && small.serverMicrosPerRequest
      ? round(big.serverMicrosPerRequest / small.serverMicrosPerRequest, 2)
      : undefined,
});

interface DeviceView {
  name: string;
  model: string;
  locked: boolean;
}

export async function benchDevices(
  database: BenchDialect,
  build: ServerBuild,
  settings: DevicesSettings,
  say: (line: string) => void,
): Promise<DevicesResult> {
  const result: DevicesResult = { settings, steps: [], checks: [], loadAverageAtStart: loadAverageNow() };
  try {
    // Seeded accounts have no cloud, as the real ones here have none.
    const seeding = { devicesPerAccount: settings.devicesPerAccount, contacts: 0 };
    await withSeededServer(
      { database, build, label: 'devices', settings: seeding, say },
      async ({ server, dataDir, pg, seeder, grow }) => {
        // Real accounts and links through the API: their rows are the shape the seeded ones copy.
        const real: Array<{ token: string; email: string; serials: string[] }> = [];
        for (let r = 0; r < settings.realAccounts; r++) {
          const account = await signUp(server.url, dataDir, 1000 + r);
          const serials = Array.from(
            { length: settings.devicesPerAccount },
            (_, d) => `RL${randomBytes(4).toString('hex').toUpperCase()}${d}`,
          );
          for (const serial of serials) await linkDevice(server.url, account.token, serial);
          real.push({ token: account.token, email: account.email, serials });
        }

        for (const accounts of settings.accountSteps) {
          const { seed, settleSeconds } = await grow(accounts);
          const devices = accounts * settings.devicesPerAccount;
          await checkSeeded(server.url, seeder, accounts, real, result.checks);

          const tokens = shuffled([
            ...real.map((r) => r.token),
            ...sampleIndexes(settings.tokenSample, accounts).map((i) => seeder.tokenOf(i)),
          ]);
          const listRequest = (n: number) => ({
            path: '/v1/devices',
            headers: { authorization: `Bearer ${tokens[n % tokens.length]}` },
          });
          // One pass over every token first: it records each session's use (a write, at most once a minute
          // per session), so that the measured run that follows within the minute times the reads alone.
          checkedRun(
            await loadRotating({
              origin: server.url,
              connections: settings.connections,
              amount: tokens.length,
              request: listRequest,
            }),
            'GET /v1/devices warm-up',
          );
          const list = await withServerCpu(server.pid, pg?.name, () =>
            loadRotating({
              origin: server.url,
              connections: settings.connections,
              seconds: settings.seconds,
              request: listRequest,
            }),
          );
          checkedRun(list, 'GET /v1/devices');

          const serials = shuffled([
            ...real.flatMap((r) => r.serials),
            ...sampleIndexes(settings.serialSample, devices).map((i) => seeder.serialOf(i)),
          ]);
          const activationRequest = (n: number) => ({ path: `/v1/activation/${serials[n % serials.length]}` });
          checkedRun(
            await loadRotating({
              origin: server.url,
              connections: settings.connections,
              seconds: Math.min(2, settings.seconds),
              request: activationRequest,
            }),
            'activation warm-up',
          );
          const activation = await withServerCpu(server.pid, pg?.name, () =>
            loadRotating({
              origin: server.url,
              connections: settings.connections,
              seconds: settings.seconds,
              request: activationRequest,
            }),
          );
          checkedRun(activation, 'GET /v1/activation/{serial}');

          const memory = memoryOf(server.pid);
          result.steps.push({
            accounts,
            devices,
            seed,
            settleSeconds,
            list,
            activation,
            ...(memory ? { serverRssMiB: round(memory.rssMiB, 1) } : {}),
          });
          say(
            `  ${accounts.toLocaleString('en-US')} accounts: GET /v1/devices ${Math.round(list.requestsPerSecond)} req/s p99 ${list.latencyMs.p99} ms ${cpuNote(list)}; ` +
              `activation ${Math.round(activation.requestsPerSecond)} req/s p99 ${activation.latencyMs.p99} ms ${cpuNote(activation)}`,
          );
        }
      },
    );
    const [small, big] = [result.steps[0], result.steps[result.steps.length - 1]];
    if (small && big && small !== big)
      result.ratios = { list: ratioOf(big.list, small.list), activation: ratioOf(big.activation, small.activation) };
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    say(`  ${database} devices failed: ${result.error}`);
  }
  return result;
}

const cpuNote = (run: LoadRun) =>
  run.cpu
    ? `(${run.serverMicrosPerRequest} µs server CPU/req; cores: server ${run.cpu.serverCores}, bench ${run.cpu.benchCores}${run.cpu.databaseCores ? `, PostgreSQL ${run.cpu.databaseCores}` : ''}, others ${run.cpu.otherCores})`
    : '';

/**
 * The seeded rows must answer exactly as rows the API wrote: a seeded account lists its devices with
 * their names opened, and a seeded serial answers locked with its owner's masked email (which needs the
 * account's key in the key ring, the lookup HMAC and the sealed email all to be right).
 */
async function checkSeeded(
  baseUrl: string,
  seeder: Seeder,
  accounts: number,
  real: Array<{ token: string; email: string; serials: string[] }>,
  checks: string[],
) {
  const index = accounts - 1;
  const seeded = await api<{ devices: DeviceView[] }>(baseUrl, 'GET', '/v1/devices', { token: seeder.tokenOf(index) });
  if (
    seeded.devices.length !== seeder.settings.devicesPerAccount ||
    !seeded.devices.every((d) => d.locked && d.name.startsWith(d.model))
  ) {
    throw new Error(`a seeded account lists ${JSON.stringify(seeded.devices)}`);
  }
  const serial = seeder.serialOf(index * seeder.settings.devicesPerAccount);
  const activation = await api<{ locked: boolean; ownerHint?: string | null }>(
    baseUrl,
    'GET',
    `/v1/activation/${serial}`,
  );
  if (!activation.locked || activation.ownerHint !== maskEmail(seeder.emailOf(index)))
    throw new Error(`a seeded serial answers ${JSON.stringify(activation)}`);
  for (const account of real) {
    const listed = await api<{ devices: DeviceView[] }>(baseUrl, 'GET', '/v1/devices', { token: account.token });
    const check = await api<{ locked: boolean; ownerHint?: string | null }>(
      baseUrl,
      'GET',
      `/v1/activation/${account.serials[0]}`,
    );
    if (listed.devices.length !== account.serials.length || check.ownerHint !== maskEmail(account.email))
      throw new Error('a real account lost its devices or its lock');
  }
  const free = await api<{ locked: boolean }>(baseUrl, 'GET', `/v1/activation/FREE${randomBytes(4).toString('hex')}`);
  if (free.locked) throw new Error('an unknown serial answers locked');
  checks.push(
    `${accounts} accounts: a seeded account lists its ${seeder.settings.devicesPerAccount} devices with names opened; a seeded serial answers locked with ${activation.ownerHint}; real accounts unchanged; an unknown serial answers unlocked`,
  );
}
