// `node --import tsx bench/profile-me.ts [sqlite|postgres] [seconds] [me|signin|rotate] [sessions]`: GET /v1/me
// (one hot session; or `rotate`, through `sessions` seeded sessions, 100,000 by default) or sign-in load
// against a server running under --cpu-prof, with its defaults (rate limits on, logging at info) as the
// bench's auth part runs it, then the functions with the most self time. For finding where time goes, not
// for figures (the profiler slows the server down).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSeeder } from './fresh-server.js';
import { loadInCli, loadInProcess } from './load.js';
import { createBenchDatabase } from './postgres.js';
import { loadRotating, shuffled } from './rotating-load.js';
import { BENCH_USER_AGENT, checkMe, signIn, signUp } from './seed.js';
import { ensureBuild, startServer } from './server.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const database = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const seconds = Number(process.argv[3] ?? 10);
const route = process.argv[4] === 'signin' ? 'signin' : process.argv[4] === 'rotate' ? 'rotate' : 'me';
const sessions = Number(process.argv[5] ?? 100_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lanyard-profile-'));
const profileDir = path.join(dataDir, 'profiles');
const pg = database === 'postgres' ? await createBenchDatabase() : undefined;
const server = await startServer({
  build: ensureBuild(),
  dataDir,
  databaseUrl: pg?.url,
  defaults: true,
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
});
try {
  const accounts = await Promise.all(
    Array.from({ length: route === 'signin' ? 8 : 1 }, (_, i) => signUp(server.url, dataDir, i)),
  );
  const token = await signIn(server.url, accounts[0]!);
  await checkMe(server.url, token);
  let tokens: string[] = [];
  if (route === 'rotate') {
    const seeder = await openSeeder({ dataDir, pg }, { devicesPerAccount: 0, contacts: 0 });
    try {
      await seeder.growTo(sessions);
      tokens = shuffled(Array.from({ length: sessions }, (_, i) => seeder.tokenOf(i)));
    } finally {
      await seeder.close();
    }
    await checkMe(server.url, tokens[0]!).catch(() => checkMe(server.url, tokens[0]!));
  }
  const rotate = () =>
    loadRotating({
      origin: server.url,
      connections: 50,
      seconds,
      request: (n) => ({ path: '/v1/me', headers: { authorization: `Bearer ${tokens[n % tokens.length]}` } }),
    });
  if (route === 'rotate' && process.env.PROFILE_WARM) {
    // As the bench's repeats do: a first run over the same tokens, so that the profiled one finds them used before.
    const first = await rotate();
    process.stdout.write(`first pass: ${Math.round(first.requestsPerSecond)} req/s\n`);
  }
  const run =
    route === 'rotate'
      ? await rotate()
      : route === 'signin'
        ? await loadInProcess({
            url: `${server.url}/v1/sessions`,
            method: 'POST',
            connections: accounts.length,
            seconds,
            headers: { 'content-type': 'application/json', 'user-agent': BENCH_USER_AGENT },
            bodies: accounts.map((a) => JSON.stringify({ login: a.email, password: a.password, kind: 'api' })),
          })
        : await loadInCli({
            url: `${server.url}/v1/me`,
            connections: 50,
            seconds,
            headers: { authorization: `Bearer ${token}`, 'user-agent': BENCH_USER_AGENT },
          });
  process.stdout.write(
    `${route === 'signin' ? 'POST /v1/sessions' : route === 'rotate' ? `GET /v1/me over ${sessions} sessions` : 'GET /v1/me'} under the profiler: ${Math.round(run.requestsPerSecond)} req/s, p50 ${run.latencyMs.p50} p99 ${run.latencyMs.p99} ms\n`,
  );
} finally {
  await server.stop();
  await pg?.drop();
}

const file = fs.readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile was written');
const profile = JSON.parse(fs.readFileSync(path.join(profileDir, file), 'utf8')) as CpuProfile;
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const time = selfTime.get(node.id) ?? 0;
  total += time;
  const where = node.callFrame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  const pkg =
    /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
    (where.startsWith('dist/')
      ? 'lanyard'
      : where.startsWith('node:')
        ? 'node core'
        : where || node.callFrame.functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time);
}
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
process.stdout.write(
  `\nSelf time by package:\n${top(byPackage, 15)}\n\nSelf time by function:\n${top(byFunction, 40)}\n\nProfile: ${path.join(profileDir, file)}\n`,
);
