import autocannon from 'autocannon';
import { toRun, type LoadRun } from './load.js';
import { BENCH_USER_AGENT } from './seed.js';

export interface RotatingRequest {
  path: string;
  /** The spec's method unless given. */
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RotatingSpec {
  /** http://host:port */
  origin: string;
  method?: 'GET' | 'PUT';
  connections: number;
  /** A timed run… */
  seconds?: number;
  /** …or exactly this many answers. */
  amount?: number;
  /** The n-th request: each one may go to another path, with another token or body. */
  request(n: number): RotatingRequest;
}

/**
 * autocannon in the bench process, with every request built anew: a different account's token or a
 * different serial each time, so that the load spreads over the table instead of one hot row.
 */
export async function loadRotating(spec: RotatingSpec): Promise<LoadRun> {
  let n = 0;
  const result = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    pipelining: 1,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.seconds ?? 5 }),
    method: spec.method ?? 'GET',
    headers: { 'user-agent': BENCH_USER_AGENT },
    requests: [
      {
        setupRequest: (request) => {
          const next = spec.request(n++);
          return {
            ...request,
            method: next.method ?? spec.method ?? 'GET',
            path: next.path,
            headers: { ...request.headers, ...next.headers },
            ...(next.body !== undefined ? { body: next.body } : {}),
          };
        },
      },
    ],
  });
  return toRun(result);
}

/** A run with failed answers measures the wrong thing: it stops the part instead of being reported. */
export function checkedRun(run: LoadRun, what: string): LoadRun {
  if (run.non2xx > 0 || run.errors > 0 || run.completed === 0) {
    throw new Error(
      `${what}: ${run.non2xx} non-2xx answers and ${run.errors} errors out of ${run.completed + run.non2xx}`,
    );
  }
  return run;
}

export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** `count` distinct random integers below `below`. */
export function sampleIndexes(count: number, below: number): number[] {
  const picked = new Set<number>();
  while (picked.size < Math.min(count, below)) picked.add(Math.floor(Math.random() * below));
  return [...picked];
}
