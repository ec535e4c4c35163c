import fs from 'node:fs';

// Linux counts CPU time in clock ticks of 1/100 s (USER_HZ) in /proc.
const TICKS_PER_SECOND = 100;

interface Snapshot {
  at: number;
  busy: number;
  server: number;
  serverMainThread: number;
  bench: number;
  database: Map<string, number>;
}

/**
 * Where the cores went during a run: the server (and its JavaScript thread alone), the bench (hashing, or
 * autocannon in it and its CLI children), the PostgreSQL server's processes, and everything else.
 */
export interface CpuShare {
  serverCpuSeconds: number;
  serverCores: number;
  /** The event loop's thread; the rest of the server's time is libuv's pool (argon2) and V8's helpers. */
  serverMainThreadCores: number;
  benchCores: number;
  /** The PostgreSQL backends serving the bench database (0 on SQLite, which runs inside the server). */
  databaseCores: number;
  /** Other processes on the machine: the noise in the figure. */
  otherCores: number;
}

function ticksOf(statLine: string): number[] {
  // Fields after the command name, which may hold spaces, so split after its closing parenthesis.
  return statLine
    .slice(statLine.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
}

/**
 * CPU of each PostgreSQL backend serving one database (their title names it), so that others' work is not
 * ours. Kept per process: a pooled connection that closes during a run (idle for 10 s) takes its whole
 * past CPU time with it, which a plain sum would count as negative time.
 */
function postgresTicks(database: string | undefined): Map<string, number> {
  const ticks = new Map<string, number>();
  if (!database) return ticks;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(` ${database} `)) continue;
      const fields = ticksOf(stat);
      ticks.set(pid, fields[11]! + fields[12]!);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks;
}

/** The backends' CPU between two snapshots: what each one still running used since the first (all of it, if it is new). */
function backendTicksBetween(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0);
  return total;
}

function snapshot(serverPid: number, database: string | undefined): Snapshot | undefined {
  try {
    const [cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const [, user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).map(Number);
    const server = ticksOf(fs.readFileSync(`/proc/${serverPid}/stat`, 'utf8'));
    const mainThread = ticksOf(fs.readFileSync(`/proc/${serverPid}/task/${serverPid}/stat`, 'utf8'));
    const self = ticksOf(fs.readFileSync('/proc/self/stat', 'utf8'));
    // utime, stime, and for the bench also cutime, cstime: autocannon CLI processes it has waited for.
    return {
      at: performance.now(),
      busy: user! + nice! + system! + irq! + softirq! + steal!,
      server: server[11]! + server[12]!,
      serverMainThread: mainThread[11]! + mainThread[12]!,
      bench: self[11]! + self[12]! + self[13]! + self[14]!,
      database: postgresTicks(database),
    };
  } catch {
    return undefined; // Not Linux: the run is reported without its CPU shares.
  }
}

/** Measures the CPU shares over `run`; `database` names the PostgreSQL database the server uses, if any. */
export async function withCpuShare<T>(
  serverPid: number,
  database: string | undefined,
  run: () => Promise<T>,
): Promise<{ result: T; cpu: CpuShare | undefined }> {
  const before = snapshot(serverPid, database);
  const result = await run();
  const after = snapshot(serverPid, database);
  if (!before || !after) return { result, cpu: undefined };
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => Math.max(0, Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100);
  const server = after.server - before.server;
  const bench = after.bench - before.bench;
  const backends = backendTicksBetween(before.database, after.database);
  return {
    result,
    cpu: {
      serverCpuSeconds: server / TICKS_PER_SECOND,
      serverCores: cores(server),
      serverMainThreadCores: cores(after.serverMainThread - before.serverMainThread),
      benchCores: cores(bench),
      databaseCores: cores(backends),
      otherCores: cores(after.busy - before.busy - server - bench - backends),
    },
  };
}
