// `npm run bench`: argon2id alone, sign-in and GET /v1/me against the real server, on SQLite and then on
// PostgreSQL, in one run. Figures are medians of repeats measured side by side; see bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchCloud, DEFAULT_CLOUD_SETTINGS } from './cloud.js';
import { benchDeletion, DEFAULT_DELETION_SETTINGS } from './deletion.js';
import { benchScale, DEFAULT_SCALE_SETTINGS, scaleSummary, scaleTargets } from './scale.js';
import { benchDevices, DEFAULT_DEVICES_SETTINGS } from './devices.js';
import { loadAverageNow, openSeeder } from './fresh-server.js';
import { floorToken, startFloor } from './floor.js';
import {
  hashRate,
  loadInCli,
  loadInProcess,
  withServerCpu,
  type HashRun,
  type LoadRun,
  type LoadSpec,
} from './load.js';
import { checkedRun, loadRotating, shuffled } from './rotating-load.js';
import { benchPostgresConnection, createBenchDatabase, type BenchDatabase } from './postgres.js';
import {
  machineInfo,
  otherProcessesOf,
  saveResult,
  summariseMe,
  summaryTable,
  targetsFor,
  type DatabaseResult,
} from './report.js';
import { median, round } from './stats.js';
import { partsSummary, partTargets } from './scale-report.js';
import { BENCH_USER_AGENT, checkMe, signIn, signUp } from './seed.js';
import { ensureBuild, startServer, type ServerBuild } from './server.js';
import { benchWeb, webSummary, type WebResult } from './web-budgets.js';

const { values: options } = parseArgs({
  options: {
    databases: { type: 'string', default: 'sqlite,postgres' },
    /**
     * auth: argon2id, sign-in, GET /v1/me; devices: bench/devices.ts; cloud: bench/cloud.ts; deletion: bench/deletion.ts
     * (each on every database); web: the portal's JavaScript per page and Lighthouse, bench/web-budgets.ts (once).
     */
    parts: { type: 'string', default: 'auth,devices,cloud,deletion,scale,web' },
    /** scale: the account counts measured in turn (bench/scale.ts), e.g. 10000,100000,1000000. */
    'scale-accounts': { type: 'string' },
    'scale-seconds': { type: 'string' },
    /** With the web part: weigh the pages only, without Lighthouse. */
    'no-lighthouse': { type: 'boolean', default: false },
    /** With the web part: photos in the gallery measured (0 leaves the gallery out). */
    'gallery-photos': { type: 'string', default: '10000' },
    'device-accounts': { type: 'string' },
    'cloud-contacts': { type: 'string' },
    'cloud-photos': { type: 'string' },
    'deletion-items': { type: 'string' },
    'deletion-photo-mib': { type: 'string' },
    'deletion-other-accounts': { type: 'string' },
    repeats: { type: 'string', default: '3' },
    'signin-repeats': { type: 'string', default: '9' },
    'hash-seconds': { type: 'string', default: '6' },
    'me-seconds': { type: 'string', default: '10' },
    'signin-concurrency': { type: 'string', default: '8' },
    /** Sign-ins before the measured runs: V8 optimises the sign-in path only after a few thousand calls. */
    'signin-warm-up': { type: 'string', default: '3000' },
    'me-connections': { type: 'string', default: '50' },
    /** Distinct sessions GET /v1/me rotates through (seeded straight into the tables), beside the one hot session. */
    'me-sessions': { type: 'string', default: '100000' },
    /** Which runner gives the headline GET /v1/me figure; the other is measured alongside for comparison. */
    'me-runner': { type: 'string', default: 'cli' },
    quick: { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
  },
});

const quick = options.quick;
const settings = {
  repeats: quick ? 1 : Number(options.repeats),
  signInRepeats: quick ? 1 : Number(options['signin-repeats']),
  hashSeconds: quick ? 2 : Number(options['hash-seconds']),
  signInSeconds: quick ? 2 : Number(options['hash-seconds']),
  signInConcurrency: Number(options['signin-concurrency']),
  meSeconds: quick ? 3 : Number(options['me-seconds']),
  meConnections: Number(options['me-connections']),
  mePipelining: 1,
  meRunner: options['me-runner'] === 'in-process' ? ('in-process' as const) : ('cli' as const),
  warmUpSeconds: quick ? 1 : 3,
  signInWarmUpRequests: quick ? 100 : Number(options['signin-warm-up']),
  libuvThreadPoolSize: Number(process.env.UV_THREADPOOL_SIZE) || 4,
  meSessions: quick ? 10_000 : Number(options['me-sessions']),
};
const parts = new Set(options.parts.split(',').map((p) => p.trim()));
// --quick shrinks the devices, cloud and deletion parts tenfold, for trying the bench itself.
const devicesSettings = {
  ...DEFAULT_DEVICES_SETTINGS,
  ...(quick ? { accountSteps: [1000, 10_000], seconds: 3 } : {}),
  ...(options['device-accounts'] ? { accountSteps: options['device-accounts'].split(',').map(Number) } : {}),
};
const cloudSettings = {
  ...DEFAULT_CLOUD_SETTINGS,
  ...(quick ? { contacts: 2000, photos: 20, deltaRounds: 5 } : {}),
  ...(options['cloud-contacts'] ? { contacts: Number(options['cloud-contacts']) } : {}),
  ...(options['cloud-photos'] ? { photos: Number(options['cloud-photos']) } : {}),
};
// The smallest account is also deleted at a tenth of the other accounts: the ratio shows the database size does not matter.
const deletionOthers = options['deletion-other-accounts']
  ? Number(options['deletion-other-accounts'])
  : quick
    ? 10_000
    : DEFAULT_DELETION_SETTINGS.otherAccounts;
const deletionSettings = {
  ...DEFAULT_DELETION_SETTINGS,
  ...(quick ? { itemSteps: [10, 1000, 10_000], photoMiB: 104, signInWindowSeconds: 3 } : {}),
  ...(options['deletion-items'] ? { itemSteps: options['deletion-items'].split(',').map(Number) } : {}),
  ...(options['deletion-photo-mib'] ? { photoMiB: Number(options['deletion-photo-mib']) } : {}),
  otherAccounts: deletionOthers,
  probeOtherAccounts: Math.max(1, Math.round(deletionOthers / 10)),
};
const scaleSettings = {
  ...DEFAULT_SCALE_SETTINGS,
  ...(quick ? { accountSteps: [1000, 10_000], seconds: 2, repeats: 1, deletions: 1 } : {}),
  ...(options['scale-accounts'] ? { accountSteps: options['scale-accounts'].split(',').map(Number) } : {}),
  ...(options['scale-seconds'] ? { seconds: Number(options['scale-seconds']) } : {}),
};
const databases = options.databases
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is 'sqlite' | 'postgres' => d === 'sqlite' || d === 'postgres');

const say = (line: string) => process.stdout.write(`${line}\n`);

async function benchDatabase(database: 'sqlite' | 'postgres', build: ServerBuild): Promise<DatabaseResult> {
  const result: DatabaseResult = { database };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lanyard-bench-${database}-`));
  let pg: BenchDatabase | undefined;
  const profileDir = path.join(dataDir, 'profiles');
  try {
    if (database === 'postgres') pg = await createBenchDatabase();
    // The server's defaults, as a user runs it: rate limits on, logging at info (a line per request).
    const server = await startServer({
      build,
      dataDir,
      databaseUrl: pg?.url,
      defaults: true,
      nodeArgs: options['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    say(`\n${database}: server pid ${server.pid} at ${server.url}${pg ? ` on database ${pg.name}` : ''}`);
    try {
      const accounts = await Promise.all(
        Array.from({ length: settings.signInConcurrency }, (_, i) => signUp(server.url, dataDir, i)),
      );
      const meToken = await signIn(server.url, accounts[0]!);
      await checkMe(server.url, meToken);

      const signInSpec: LoadSpec = {
        url: `${server.url}/v1/sessions`,
        method: 'POST',
        connections: settings.signInConcurrency,
        seconds: settings.signInSeconds,
        headers: { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT },
        // One account per connection, as many people signing in at once would be.
        bodies: accounts.map((a) => JSON.stringify({ login: a.email, password: a.password, kind: 'api' })),
      };
      const meSpec: LoadSpec = {
        url: `${server.url}/v1/me`,
        connections: settings.meConnections,
        seconds: settings.meSeconds,
        headers: { authorization: `Bearer ${meToken}`, 'user-agent': BENCH_USER_AGENT },
      };

      const measured = <T extends HashRun | LoadRun>(run: () => Promise<T>, pid = server.pid): Promise<T> =>
        withServerCpu(pid, pg?.name, run);

      // At about 80 sign-ins/s, V8 is still compiling the sign-in path on its background threads for the first
      // few thousand (0.5 ms of CPU per sign-in in the first 500, under 0.1 ms after 3,000), which takes cores
      // from argon2: a server that has run for a minute no longer pays it, so the warm-up is counted in sign-ins.
      say(
        `  warming up (${settings.warmUpSeconds} s of argon2id alone, ${settings.signInWarmUpRequests} sign-ins, ${settings.warmUpSeconds} s of GET /v1/me)…`,
      );
      await hashRate(settings.warmUpSeconds, settings.libuvThreadPoolSize);
      // autocannon reads an amount of 0 as no limit, so a warm-up of 0 sign-ins is skipped instead.
      const signInWarmUp =
        settings.signInWarmUpRequests > 0
          ? checkedRun(
              await measured(() =>
                loadInProcess({ ...signInSpec, seconds: 3600, amount: settings.signInWarmUpRequests }),
              ),
              'sign-in warm-up',
            )
          : undefined;
      if (signInWarmUp)
        say(
          `  sign-in warm-up: ${signInWarmUp.completed} in ${round(signInWarmUp.seconds, 1)} s, ${round(signInWarmUp.requestsPerSecond, 1)} req/s${others(signInWarmUp)}`,
        );
      await loadInProcess({ ...meSpec, seconds: settings.warmUpSeconds });

      // Hash-only runs bracket the sign-in runs (hash, sign-in, hash, sign-in, …, hash), and each sign-in run
      // is compared with the mean of the hash runs on either side: this machine's argon2 rate drifts by
      // several per cent within a minute, and the bracket cancels a steady drift.
      const hashRuns: HashRun[] = [await measured(() => hashRate(settings.hashSeconds, settings.libuvThreadPoolSize))];
      const signInRuns: LoadRun[] = [];
      const brackets: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < settings.signInRepeats; i++) {
        const run = checkedRun(await measured(() => loadInProcess(signInSpec)), 'sign-in');
        signInRuns.push(run);
        const hash = await measured(() => hashRate(settings.hashSeconds, settings.libuvThreadPoolSize));
        hashRuns.push(hash);
        const bracket = (hashRuns[i]!.hashesPerSecond + hash.hashesPerSecond) / 2;
        brackets.push(bracket);
        ratios.push(run.requestsPerSecond / bracket);
        say(
          `  repeat ${i + 1}: sign-in ${round(run.requestsPerSecond, 1)} req/s${others(run)}; argon2id ${round(hash.hashesPerSecond, 1)}/s after it${others(hash)}; ` +
            `${round(100 * ratios[i]!, 1)} % of the mean of ${round(hashRuns[i]!.hashesPerSecond, 1)} and ${round(hash.hashesPerSecond, 1)}`,
        );
      }
      say(
        `  (the first argon2id run, before repeat 1: ${round(hashRuns[0]!.hashesPerSecond, 1)}/s${others(hashRuns[0]!)})`,
      );
      result.hash = { hashesPerSecond: median(hashRuns.map((r) => r.hashesPerSecond)), runs: hashRuns };
      result.signIn = {
        requestsPerSecond: median(signInRuns.map((r) => r.requestsPerSecond)),
        ratioToHash: median(ratios),
        ratiosPerRepeat: ratios.map((r) => round(r, 3)),
        // Alongside the median: every sign-in run's requests over every bracket's mean, for a reader who
        // prefers a ratio of totals (one dip then moves it by a ninth, not by a whole place in the order).
        ratioOfTotals: round(
          signInRuns.reduce((sum, r) => sum + r.requestsPerSecond, 0) /
            brackets.reduce((sum, bracket) => sum + bracket, 0),
          3,
        ),
        runs: signInRuns,
        ...(signInWarmUp ? { warmUp: signInWarmUp } : {}),
      };

      // Many distinct sessions, written straight into the tables as the app writes them (lanyard seed's Seeder).
      const seeder = await openSeeder({ dataDir, pg }, { devicesPerAccount: 0, contacts: 0 });
      let seededTokens: string[];
      try {
        const seed = await seeder.growTo(settings.meSessions);
        await seeder.settle();
        say(
          `  seeded ${seed.accounts.toLocaleString('en-US')} accounts with a session each in ${round(seed.seconds, 1)} s`,
        );
        seededTokens = shuffled(Array.from({ length: settings.meSessions }, (_, i) => seeder.tokenOf(i)));
      } finally {
        await seeder.close();
      }
      await checkMe(server.url, seededTokens[0]!);
      // The floor: a bare Fastify doing one indexed lookup on the same database, with as many sessions.
      const floor = await startFloor({
        database,
        sqliteFile: path.join(dataDir, 'floor.db'),
        pgUrl: pg?.url,
        sessions: settings.meSessions,
      });
      const floorTokens = shuffled(Array.from({ length: settings.meSessions }, (_, i) => floorToken(i)));
      const floorSpec: LoadSpec = {
        ...meSpec,
        url: `${floor.url}/v1/me`,
        headers: { ...meSpec.headers, authorization: `Bearer ${floorToken(0)}` },
      };
      // A timed run over the tokens in turn, or (`pass`) exactly one check of each.
      const rotating =
        (origin: string, tokens: string[], pass = false) =>
        () =>
          loadRotating({
            origin,
            connections: settings.meConnections,
            ...(pass ? { amount: tokens.length } : { seconds: settings.meSeconds }),
            request: (n) => ({ path: '/v1/me', headers: { authorization: `Bearer ${tokens[n % tokens.length]}` } }),
          });

      const inProcessRuns: LoadRun[] = [];
      const cliRuns: LoadRun[] = [];
      const floorCliRuns: LoadRun[] = [];
      const rotatingRuns: LoadRun[] = [];
      const floorRotatingRuns: LoadRun[] = [];
      const rotatingFirstPass: LoadRun[] = [];
      const floorRotatingFirstPass: LoadRun[] = [];
      try {
        await loadInProcess({ ...floorSpec, seconds: settings.warmUpSeconds });
        // One pass over every session first, on each server: a server that has been running has seen its
        // active sessions (the first check of each reads it from the database, keeps it, and records its
        // use), so the timed runs measure that steady state. The pass is reported too (firstPass): what a
        // server pays the first time it sees them all, after a start.
        rotatingFirstPass.push(
          checkedRun(
            await measured(rotating(server.url, seededTokens, true)),
            `GET /v1/me, first pass over ${settings.meSessions} sessions`,
          ),
        );
        floorRotatingFirstPass.push(
          checkedRun(
            await measured(rotating(floor.url, floorTokens, true), floor.pid),
            'floor, first pass over many sessions',
          ),
        );
        say(
          `  first pass over ${settings.meSessions.toLocaleString('en-US')} sessions: ${Math.round(rotatingFirstPass[0]!.requestsPerSecond)} req/s p99 ${rotatingFirstPass[0]!.latencyMs.p99} ms; ` +
            `floor ${Math.round(floorRotatingFirstPass[0]!.requestsPerSecond)} req/s p99 ${floorRotatingFirstPass[0]!.latencyMs.p99} ms`,
        );
        for (let i = 0; i < settings.repeats; i++) {
          const a = checkedRun(await measured(() => loadInProcess(meSpec)), 'GET /v1/me');
          inProcessRuns.push(a);
          const b = checkedRun(await measured(() => loadInCli(meSpec)), 'GET /v1/me');
          cliRuns.push(b);
          const f = checkedRun(await measured(() => loadInCli(floorSpec), floor.pid), 'floor');
          floorCliRuns.push(f);
          const r = checkedRun(
            await measured(rotating(server.url, seededTokens)),
            `GET /v1/me over ${settings.meSessions} sessions`,
          );
          rotatingRuns.push(r);
          const fr = checkedRun(
            await measured(rotating(floor.url, floorTokens), floor.pid),
            'floor over many sessions',
          );
          floorRotatingRuns.push(fr);
          say(
            `  repeat ${i + 1}: GET /v1/me one session: in-process ${Math.round(a.requestsPerSecond)} req/s p99 ${a.latencyMs.p99} ms; ` +
              `CLI ${Math.round(b.requestsPerSecond)} req/s p50 ${b.latencyMs.p50} p99 ${b.latencyMs.p99} ms${others(b)}; floor ${Math.round(f.requestsPerSecond)} req/s (${f.serverMicrosPerRequest} µs CPU/req)`,
          );
          say(
            `            ${settings.meSessions.toLocaleString('en-US')} sessions in rotation: ${Math.round(r.requestsPerSecond)} req/s p99 ${r.latencyMs.p99} ms (${r.serverMicrosPerRequest} µs CPU/req); ` +
              `floor ${Math.round(fr.requestsPerSecond)} req/s (${fr.serverMicrosPerRequest} µs CPU/req)`,
          );
        }
      } finally {
        await floor.stop();
      }
      const inProcess = summariseMe('in-process', settings.meConnections, inProcessRuns);
      const cli = summariseMe('cli', settings.meConnections, cliRuns);
      result.me = settings.meRunner === 'cli' ? cli : inProcess;
      result.meOtherRunner = settings.meRunner === 'cli' ? inProcess : cli;
      // Each against the floor measured the same way (same runner, same connections, one or many sessions).
      const floorHot = summariseMe('cli', settings.meConnections, floorCliRuns);
      const meRotating = summariseMe('in-process', settings.meConnections, rotatingRuns);
      const floorRotating = summariseMe('in-process', settings.meConnections, floorRotatingRuns);
      result.floor = {
        what: 'bare Fastify, one indexed lookup of the token hash per request, on the same database (bench/floor-server.ts)',
        oneSession: floorHot,
        rotating: floorRotating,
        rotatingFirstPass: summariseMe('in-process', settings.meConnections, floorRotatingFirstPass),
      };
      result.meRotating = {
        sessions: settings.meSessions,
        ...meRotating,
        firstPass: summariseMe('in-process', settings.meConnections, rotatingFirstPass),
      };
      result.ratios = {
        meOneSessionToFloor: round(cli.requestsPerSecond / floorHot.requestsPerSecond, 3),
        meRotatingToFloor: round(meRotating.requestsPerSecond / floorRotating.requestsPerSecond, 3),
        signInToLimit: round(result.signIn!.ratioToHash, 3),
      };
      result.limit = {
        what: `argon2id (19 MiB, t=2, p=1) verifications by @node-rs/argon2 in the bench process, ${settings.libuvThreadPoolSize} at once (the libuv thread pool the server runs them on)`,
        hashesPerSecond: result.hash!.hashesPerSecond,
        concurrency: settings.libuvThreadPoolSize,
      };
      result.targets = targetsFor(result);
      result.otherProcessesCores = otherProcessesOf(result);
    } finally {
      await server.stop();
    }
    if (options['cpu-prof']) say(`  server CPU profile(s) in ${profileDir}`);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    say(`  ${database} failed: ${result.error}`);
  } finally {
    if (pg) await pg.drop().catch((error: unknown) => say(`  could not drop ${pg!.name}: ${String(error)}`));
    if (!options['cpu-prof']) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}

const others = (run: HashRun | LoadRun) =>
  run.cpu
    ? ` (cores: server ${run.cpu.serverCores} of which event loop ${run.cpu.serverMainThreadCores}, bench ${run.cpu.benchCores}` +
      `${run.cpu.databaseCores ? `, PostgreSQL ${run.cpu.databaseCores}` : ''}, other processes ${run.cpu.otherCores})`
    : '';

const started = Date.now();
const build = ensureBuild();
const machine = machineInfo();
say(
  `Lanyard bench: node ${machine.node}, ${machine.cpuCount} CPUs (${machine.cpuModel}), commit ${machine.git.commit.slice(0, 10)}${machine.git.dirty ? ' (uncommitted changes)' : ''}`,
);
const loadAtStart = loadAverageNow();
if (loadAtStart > 1)
  say(
    `The 1-minute load average is ${loadAtStart}: other processes are using the CPU, so the figures will be low and noisy.`,
  );
say(
  `server: ${build.kind === 'dist' ? 'dist/cli/main.js' : 'src through tsx'} (${build.note}); libuv thread pool ${settings.libuvThreadPoolSize} in the server and the bench`,
);
if (databases.includes('postgres')) say(`PostgreSQL: ${benchPostgresConnection()}`);

const results: DatabaseResult[] = [];
const databaseParts = ['auth', 'devices', 'cloud', 'deletion', 'scale'].some((part) => parts.has(part));
for (const database of databaseParts ? databases : []) {
  const result: DatabaseResult = parts.has('auth') ? await benchDatabase(database, build) : { database };
  if (parts.has('devices')) result.devices = await benchDevices(database, build, devicesSettings, say);
  if (parts.has('cloud')) result.cloud = await benchCloud(database, build, cloudSettings, say);
  if (parts.has('deletion')) result.deletion = await benchDeletion(database, build, deletionSettings, say);
  if (parts.has('scale')) result.scale = await benchScale(database, build, scaleSettings, say);
  result.targets = { ...result.targets, ...partTargets(result), ...scaleTargets(result.scale) };
  results.push(result);
}

// The portal does not depend on the database: weighed once, on SQLite.
const web: WebResult | undefined = parts.has('web')
  ? await benchWeb(
      build,
      { lighthouse: !options['no-lighthouse'], galleryPhotos: Number(options['gallery-photos']) },
      say,
    )
  : undefined;

const report = {
  date: new Date().toISOString(),
  ...machine,
  server: {
    command: build.kind === 'dist' ? 'node dist/cli/main.js serve' : 'node --import tsx src/cli/main.ts serve',
    buildNote: build.note,
    environment: {
      auth: 'the server defaults: rate limits on, LANYARD_LOG_LEVEL info (a line per request but successful fast reads, drained by the bench), worker on (in process)',
      devicesCloudDeletion: { LANYARD_RATE_LIMIT: 'off', LANYARD_LOG_LEVEL: 'warn', worker: 'on (in process)' },
    },
    postgresConnection: databases.includes('postgres') ? benchPostgresConnection() : undefined,
    profiled: options['cpu-prof'],
  },
  settings: {
    ...settings,
    parts: [...parts],
    devices: devicesSettings,
    cloud: cloudSettings,
    deletion: deletionSettings,
    scale: scaleSettings,
  },
  loadAverageAtStart: loadAtStart,
  notes: [
    'limit (argon2id hashes/s): verifyPassword of src/crypto/passwords.ts, i.e. @node-rs/argon2 (19 MiB, t=2, p=1), in the bench process with as many in flight as the libuv thread pool runs (UV_THREADPOOL_SIZE, 4 by default, as in the server); the server sits idle meanwhile. signIn.ratioToHash = ratios.signInToLimit.',
    'floor: bench/floor-server.ts, a bare Fastify (no logging, no schemas) doing one indexed lookup of the token hash per request on the same database (a WAL SQLite file in the same folder, or the same PostgreSQL database, pool of 10), with as many sessions as the rotation. ratios.meOneSessionToFloor compares the CLI runs with one token; ratios.meRotatingToFloor the in-process runs rotating through every token of each, after one pass over every token on each server (a running server has seen its active sessions; that pass is reported as meRotating.firstPass and floor.rotatingFirstPass).',
    'sign-in: POST /v1/sessions with correct passwords, one account per connection; requests/s counts 201 answers only. Hash-only runs bracket the sign-in runs; each ratio is a sign-in run over the mean of the hash-only runs just before and after it, and the headline ratio is the median of those ratios. Before them, a warm-up of signin-warm-up sign-ins (3,000 by default; recorded as signIn.warmUp) lets V8 finish optimising the sign-in path, which a long-running server has long done.',
    `GET /v1/me: one bearer token, ${settings.meConnections} connections, pipelining 1; latencies are autocannon's, in whole milliseconds (fractions dropped).`,
    'in-process: autocannon inside the bench process; cli: autocannon --json in a process of its own. Either way the server is a separate process sharing the same cores.',
    'Medians of the repeats; every run is kept under runs.',
    "devices: on a server of its own, accounts made straight in the database (each with an API session and 3 devices, each device with its device token and lock; the email and device names sealed under a data key held in the key ring file), plus a few made through the API; GET /v1/devices rotates through the tokens of random accounts (one pass first records each session's use, so that the timed run reads only), the activation check through random locked serials; measured at each account count as the database grows; one timed run each.",
    "cloud: on a server of its own, one account's device token: contacts PUT with several in flight (autocannon), 3 MiB JPEG photos PUT 4 at a time, then every thumbnail awaited, a full sync (contact pages of 500 with cursors; the photo list, then every photo downloaded 4 at a time), then rounds of 5 edits and a deletion each followed by GET ?since=cursor. memory: VmHWM of the server process (its peak resident set since it started), and VmRSS sampled every 50 ms per phase.",
    "deletion: on a server of its own, accounts made through the API (devices linked, an extra session), their JSON items written straight into cloud_items in the app's shape (sealed under the data key the key ring holds; checked through the API), their photos PUT through the API and thumbnailed; other accounts seeded as for devices. Each deletion goes through the API (GET /v1/me/deletion, POST /v1/me/deletion with a fresh session, the code from the outbox, confirm with releaseDevices); erasureSeconds runs from the confirmation's 200 until the erasure row is erased and its job chain ended (polled every 10 ms), then a residue check (rows in every table with account_id, the erasure row, the blob folder, the key ring, sign-in, and the id in no live cell of the SQLite files nor a WAL) must find nothing; copies of the id in the free space of live SQLite pages are listed as leftovers. Probes (100 items, 32 MiB of photos) are deleted at a tenth of the other accounts and at all of them: the ratio of their medians. Sign-in: one fetch loop per account (POST /v1/sessions, correct passwords), counted by answer time in windows before, during (confirm sent until erased) and after the erasure of another largest account.",
    "scale: on a server of its own, accounts seeded in steps by lanyard seed's code (src/cli/seed.ts: each with its data key, sealed email and name, an API session, 3 devices with device sessions and locks, 10 contacts for one in ten; one shared argon2id hash of the seed password); after each step ANALYZE (SQLite) or VACUUM (ANALYZE) (PostgreSQL). At each step, rotating over random seeded accounts: GET /v1/me and GET /v1/devices with their API sessions (one pass first records each session's use), POST /v1/sessions with their email and password, GET /v1/activation/{serial} over random locked serials; repeats timed runs each, the medians reported; then seeded accounts deleted through the API (sign-in, POST /v1/me/deletion, the code from the outbox, confirm with releaseDevices), timed from the confirmation to the erasure row erased with its job chain ended. Ratios are each step over the first.",
    'cpu: cores used during each run by the server (serverMainThreadCores: its event loop alone; the rest is the argon2 thread pool and V8), by the bench process (hashing, or autocannon with its CLI children), by the PostgreSQL backends serving the bench database, and by every other process on the machine (otherCores: the noise). serverMicrosPerRequest: server CPU time per answered request, steadier than requests/s when other processes take cores.',
  ],
  durationSeconds: Math.round((Date.now() - started) / 1000),
  databases: Object.fromEntries(results.map((r) => [r.database, r])),
  ...(web ? { web } : {}),
};

if (parts.has('auth')) say(`\n${summaryTable(results)}`);
if (parts.has('devices') || parts.has('cloud') || parts.has('deletion')) say(`\n${partsSummary(results)}`);
if (parts.has('scale')) say(`\n${scaleSummary(results)}`);
if (web) say(`\n${webSummary(web)}`);
if (!options['no-save'])
  say(
    `\nSaved ${path.relative(process.cwd(), saveResult(report))} and bench/results/latest.json (${report.durationSeconds} s).`,
  );
process.exitCode =
  results.some((r) => r.error || r.devices?.error || r.cloud?.error || r.deletion?.error || r.scale?.error) ||
  web?.error
    ? 1
    : 0;
