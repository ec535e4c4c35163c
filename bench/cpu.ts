import fs from 'node:fs';

// Linux counts CPU time in clock ticks of 1/100 s (USER_HZ) in /proc.
const TICKS_PER_SECOND = 100;

interface Snapshot {
  at: number;
  busy: number;
  server: number;
  bench: number;
}

/** Where the cores went during a run: the server, the bench (hashing, or autocannon in it and its CLI children), everything else. */
export interface CpuShare {
  serverCpuSeconds: number;
  serverCores: number;
  benchCores: number;
  /** Other processes on the machine: the noise in the figure. */
  otherCores: number;
}

function ticksOf(statLine: string): number[] {
  // Fields after the command name, which may hold spaces, so split after its closing parenthesis.
  return statLine.slice(statLine.lastIndexOf(')') + 2).split(' ').map(Number);
}

function snapshot(serverPid: number): Snapshot | undefined {
  try {
    const [cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const [, user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).map(Number);
    const server = ticksOf(fs.readFileSync(`/proc/${serverPid}/stat`, 'utf8'));
    const self = ticksOf(fs.readFileSync('/proc/self/stat', 'utf8'));
    // utime, stime, and for the bench also cutime, cstime: autocannon CLI processes it has waited for.
    return {
      at: performance.now(),
      busy: user! + nice! + system! + irq! + softirq! + steal!,
      server: server[11]! + server[12]!,
      bench: self[11]! + self[12]! + self[13]! + self[14]!,
    };
  } catch {
    return undefined; // Not Linux: the run is reported without its CPU shares.
  }
}

/** Measures the CPU shares over `run`. */
export async function withCpuShare<T>(serverPid: number, run: () => Promise<T>): Promise<{ result: T; cpu: CpuShare | undefined }> {
  const before = snapshot(serverPid);
  const result = await run();
  const after = snapshot(serverPid);
  if (!before || !after) return { result, cpu: undefined };
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
  const server = after.server - before.server;
  const bench = after.bench - before.bench;
  return {
    result,
    cpu: { serverCpuSeconds: server / TICKS_PER_SECOND, serverCores: cores(server), benchCores: cores(bench), otherCores: Math.max(0, cores(after.busy - before.busy - server - bench)) },
  };
}
