// `node --import tsx bench/me-paired.ts BASE [sqlite|postgres] [seconds] [repeats] [sessions] [warm]`: GET /v1/me of
// another build of the server (BASE: a checkout with its own dist/ built, e.g. `git archive <commit>` and
// `npx tsc -p tsconfig.build.json`, node_modules linked) against this one and the floor, side by side, each
// with its server defaults, with one hot session and with `sessions` seeded sessions in rotation; the runs
// alternate (base, new, floor; then new, base, floor) so that a machine whose load drifts weighs on both.
// Each rotating run starts again at the first token, so a later repeat checks again the sessions an earlier
// one checked and goes on to fresh ones: runs mix sessions a server has seen and sessions it has not.
// `warm`: every server first checks every seeded session once (untimed), so that the timed runs measure
// the rotation's steady state, every session seen before, as a server that has run for a while sees it.
// Prints every run and the medians as JSON. For comparing two builds; the headline figures are npm run bench's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { floorToken, startFloor } from './floor.js';
import { openSeeder } from './fresh-server.js';
import { loadInCli, withServerCpu, type LoadRun } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { loadRotating, shuffled } from './rotating-load.js';
import { BENCH_USER_AGENT, checkMe, signIn, signUp } from './seed.js';
import { ensureBuild, startServer, type ServerBuild } from './server.js';
import { median } from './stats.js';

const [base, kind, secondsArg, repeatsArg, sessionsArg, warmArg] = process.argv.slice(2);
if (!base || !fs.existsSync(path.join(base, 'dist', 'cli', 'main.js')))
  throw new Error(
    'usage: bench/me-paired.ts BASE [sqlite|postgres] [seconds] [repeats] [sessions] [warm]; BASE/dist must be built',
  );
const database = kind === 'postgres' ? 'postgres' : 'sqlite';
const seconds = Number(secondsArg ?? 8);
const repeats = Number(repeatsArg ?? 3);
const sessions = Number(sessionsArg ?? 100_000);
const warm = warmArg === 'warm';
const NAMES = ['base', 'new', 'floor'] as const;
type Name = (typeof NAMES)[number];

interface Target {
  url: string;
  pid: number;
  token: string;
  tokens: string[];
  pgName: string | undefined;
}

const builds: Array<['base' | 'new', ServerBuild, string | undefined]> = [
  ['base', { kind: 'dist', args: [path.join(base, 'dist', 'cli', 'main.js')], note: base }, base],
  ['new', ensureBuild(), undefined],
];
const targets = {} as Record<Name, Target>;
const cleanups: Array<() => Promise<void>> = [];
try {
  for (const [name, build, cwd] of builds) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `lanyard-paired-${name}-`));
    const pg = database === 'postgres' ? await createBenchDatabase() : undefined;
    if (pg) cleanups.push(() => pg.drop());
    const server = await startServer({ build, dataDir, databaseUrl: pg?.url, defaults: true, ...(cwd ? { cwd } : {}) });
    cleanups.unshift(() => server.stop());
    const token = await signIn(server.url, await signUp(server.url, dataDir, 0));
    await checkMe(server.url, token);
    const seeder = await openSeeder({ dataDir, pg }, { devicesPerAccount: 0, contacts: 0 });
    let tokens: string[];
    try {
      const seed = await seeder.growTo(sessions);
      await seeder.settle();
      process.stdout.write(`${name}: seeded ${seed.accounts} accounts in ${Math.round(seed.seconds)} s\n`);
      tokens = shuffled(Array.from({ length: sessions }, (_, i) => seeder.tokenOf(i)));
    } finally {
      await seeder.close();
    }
    // A keep-alive connection idle through the seeding may be closed under the first request: once more.
    await checkMe(server.url, tokens[0]!).catch(() => checkMe(server.url, tokens[0]!));
    targets[name] = { url: server.url, pid: server.pid, token, tokens, pgName: pg?.name };
  }
  const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-paired-floor-'));
  const floorPg = database === 'postgres' ? await createBenchDatabase() : undefined;
  if (floorPg) cleanups.push(() => floorPg.drop());
  const floor = await startFloor({
    database,
    sqliteFile: path.join(floorDir, 'floor.db'),
    pgUrl: floorPg?.url,
    sessions,
  });
  cleanups.unshift(() => floor.stop());
  targets.floor = {
    url: floor.url,
    pid: floor.pid,
    token: floorToken(0),
    tokens: shuffled(Array.from({ length: sessions }, (_, i) => floorToken(i))),
    pgName: floorPg?.name,
  };

  const runs = Object.fromEntries(NAMES.map((name) => [name, { hot: [] as LoadRun[], rotating: [] as LoadRun[] }]));
  const measure = async (name: Name, how: 'hot' | 'rotating') => {
    const target = targets[name];
    const load =
      how === 'hot'
        ? () =>
            loadInCli({
              url: `${target.url}/v1/me`,
              connections: 50,
              seconds,
              headers: { authorization: `Bearer ${target.token}`, 'user-agent': BENCH_USER_AGENT },
            })
        : () =>
            loadRotating({
              origin: target.url,
              connections: 50,
              seconds,
              request: (n) => ({
                path: '/v1/me',
                headers: { authorization: `Bearer ${target.tokens[n % target.tokens.length]}` },
              }),
            });
    const result = await withServerCpu(target.pid, target.pgName, load);
    const { cpu } = result;
    runs[name]![how].push(result);
    process.stdout.write(
      `  ${how} ${name}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms, ` +
        `${result.serverMicrosPerRequest} µs CPU/req; database ${cpu?.databaseCores} and other processes ${cpu?.otherCores} cores; ` +
        `non-2xx ${result.non2xx}, errors ${result.errors}\n`,
    );
  };
  for (const name of NAMES) {
    const target = targets[name];
    await loadInCli({
      url: `${target.url}/v1/me`,
      connections: 50,
      seconds: 3,
      headers: { authorization: `Bearer ${target.token}` },
    });
  }
  if (warm) {
    for (const name of NAMES) {
      const target = targets[name];
      const pass = await loadRotating({
        origin: target.url,
        connections: 50,
        amount: target.tokens.length,
        request: (n) => ({
          path: '/v1/me',
          headers: { authorization: `Bearer ${target.tokens[n % target.tokens.length]}` },
        }),
      });
      process.stdout.write(`  warm-up pass ${name}: ${Math.round(pass.requestsPerSecond)} req/s\n`);
    }
  }
  for (let i = 0; i < repeats; i++) {
    process.stdout.write(`repeat ${i + 1}\n`);
    const order: Name[] = i % 2 ? ['new', 'base', 'floor'] : ['base', 'new', 'floor'];
    for (const name of order) await measure(name, 'hot');
    for (const name of order) await measure(name, 'rotating');
  }
  const summary: Record<string, unknown> = {
    database,
    seconds,
    repeats,
    sessions,
    warm,
    base,
    date: new Date().toISOString(),
    loadAverageAtEnd: os.loadavg(),
  };
  for (const how of ['hot', 'rotating'] as const) {
    const of = (name: Name) => runs[name]![how];
    for (const name of NAMES) {
      summary[`${how}.${name}`] = {
        requestsPerSecond: Math.round(median(of(name).map((r) => r.requestsPerSecond))),
        p50Ms: median(of(name).map((r) => r.latencyMs.p50)),
        p99Ms: median(of(name).map((r) => r.latencyMs.p99)),
        serverMicrosPerRequest: median(of(name).map((r) => r.serverMicrosPerRequest ?? 0)),
        otherProcessesCores: median(of(name).map((r) => r.cpu?.otherCores ?? 0)),
        runs: of(name),
      };
    }
    // Each run over the floor's run of the same repeat, then the median.
    const ratio = (name: Name) =>
      Math.round(median(of(name).map((r, i) => r.requestsPerSecond / of('floor')[i]!.requestsPerSecond)) * 1000) / 1000;
    summary[`${how}.ratioToFloor`] = { base: ratio('base'), new: ratio('new') };
  }
  process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
}
