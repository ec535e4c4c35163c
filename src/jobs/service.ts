import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { uuidv7 } from 'uuidv7';
import type { Clock } from '../clock.js';
import type { Executor, JobRow } from '../db/schema.js';
import type { JobPayloads } from './kinds.js';
import type { JobRepository, Lease } from './repository.js';

export type JobHandler<P> = (payload: P, job: JobRow) => Promise<void>;

/** Told once when a job of its kind is parked as failed for good, with the reason, so the owner can show it. */
export type JobFailedHandler<P> = (payload: P, reason: string) => Promise<void>;

/** How each kind of job runs: a handler, or a handler and what to do when a job is parked as failed. */
export type JobHandlers<M> = {
  [K in keyof M]: JobHandler<M[K]> | { run: JobHandler<M[K]>; onFailed: JobFailedHandler<M[K]> };
};

export interface EnqueueOptions<M, K extends keyof M> {
  /** The job's id, when the caller must know it first (to bind a sealed payload to it); a UUIDv7 otherwise. */
  id?: string;
  kind: K;
  payload: M[K];
  accountId?: string | null;
  /** When to run; now by default. */
  runAt?: number;
  maxAttempts?: number;
}

export interface JobsOptions {
  leaseMs?: number;
  pollMs?: number;
  batchSize?: number;
  /** Retry delay for attempt n (1-based): base * 2^(n-1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** How one run of a job ended: done, to be tried again, or failed for good. */
export type JobOutcome = 'done' | 'retry' | 'failed';
export type JobObserver = (job: JobRow, outcome: JobOutcome, seconds: number) => void;

/** A job that asks not to be retried (bad payload): it is marked failed at once. */
export class PermanentJobError extends Error {}

/**
 * Durable jobs: enqueued in the caller's transaction (transactional outbox), run by a worker loop that
 * leases them, retried with exponential backoff, failures recorded on the row. `M` maps each kind to its
 * payload: the application's is `JobPayloads` (kinds.ts); the queue's own tests use kinds of their own.
 */
export class JobService<M extends object = JobPayloads> {
  // Keyed by the row's kind, which is the kind the payload was enqueued with: M[kind] is its type.
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  private readonly failedHandlers = new Map<string, JobFailedHandler<unknown>>();
  private readonly observers: JobObserver[] = [];
  // Names the machine and process that holds a job (`locked_by`), for an operator of several of them.
  private readonly workerId = `worker-${hostname()}-${process.pid}-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  private readonly repository: JobRepository;
  private readonly clock: Clock;
  private readonly log: FastifyBaseLogger;

  constructor(deps: {
    repository: JobRepository;
    clock: Clock;
    log: FastifyBaseLogger;
    options?: JobsOptions;
  }) {
    this.repository = deps.repository;
    this.clock = deps.clock;
    this.log = deps.log;
    const options = deps.options ?? {};
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.batchSize = options.batchSize ?? 10;
    this.backoffBaseMs = options.backoffBaseMs ?? 5000;
    this.backoffMaxMs = options.backoffMaxMs ?? 3600_000;
  }

  /** Declares how every kind of job runs, in one place (src/app.ts): a kind left out does not compile. */
  registerAll(handlers: JobHandlers<M>): void {
    for (const kind of Object.keys(handlers) as (keyof M & string)[]) {
      const entry = handlers[kind];
      if (typeof entry === 'function') this.register(kind, entry);
      else this.register(kind, entry.run, entry.onFailed);
    }
  }

  /** Declares how jobs of one kind run, and optionally what to do when one is parked as failed. */
  register<K extends keyof M & string>(kind: K, handler: JobHandler<M[K]>, onFailed?: JobFailedHandler<M[K]>): void {
    this.handlers.set(kind, handler as JobHandler<unknown>);
    if (onFailed) this.failedHandlers.set(kind, onFailed as JobFailedHandler<unknown>);
  }

  /** Calls `observer` after every run of a job, with how it ended (metrics). */
  observe(observer: JobObserver): void {
    this.observers.push(observer);
  }

  /** Withdraws a job in the caller's transaction (it will not run), whether or not it exists. */
  async cancel(executor: Executor, id: string): Promise<void> {
    await this.repository.remove(executor, id);
  }

  /** Whether a job is still due to run (not failed for good, not finished). */
  async isPending(id: string): Promise<boolean> {
    return this.repository.isPending(id);
  }

  /** Records a job in the caller's transaction; it runs only if that transaction commits. */
  async enqueue<K extends keyof M & string>(executor: Executor, options: EnqueueOptions<M, K>): Promise<string> {
    const id = options.id ?? uuidv7();
    const now = this.clock.now();
    await this.repository.create(executor, {
      id,
      kind: options.kind,
      payload: JSON.stringify(options.payload),
      accountId: options.accountId ?? null,
      runAt: options.runAt ?? now,
      maxAttempts: options.maxAttempts ?? 10,
      createdAt: now,
    });
    return id;
  }

  /** Asks the worker to look for jobs now rather than at its next poll. */
  wake(): void {
    if (!this.stopped && !this.running) this.schedule(0);
  }

  /** Runs every job that is due now, once; returns how many ran. Tests and `lanyard worker` use it. */
  runDue(): Promise<number> {
    return this.drain(() => true);
  }

  /**
   * Claims and runs batches until none is due or `more()` says stop. Only kinds this process has a
   * handler for are claimed: during a rolling upgrade an older worker leaves a newer kind of job for a
   * worker that knows it, instead of failing it.
   */
  private async drain(more: () => boolean): Promise<number> {
    for (const job of await this.repository.failAbandoned(this.clock.now())) {
      this.log.error(
        { jobId: job.id, kind: job.kind, attempt: job.attempts, error: job.last_error },
        'job parked as failed',
      );
      await this.tellFailed(job, job.last_error ?? 'failed');
    }
    const kinds = [...this.handlers.keys()];
    let total = 0;
    while (more()) {
      const jobs = await this.repository.claim(this.workerId, kinds, this.clock.now(), this.leaseMs, this.batchSize);
      if (jobs.length === 0) break;
      // Settled, not all: one job whose bookkeeping fails must not orphan the others still running.
      const results = await Promise.allSettled(jobs.map((job) => this.runOne(job)));
      const broken = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (broken) throw broken.reason;
      total += jobs.length;
    }
    return total;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Stops polling and waits for the jobs in hand to finish; after `graceMs` (when given) gives their
   * leases back instead, so that another process takes them over at once rather than when the lease ends.
   */
  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const running = this.running;
    if (!running) return;
    if (graceMs === undefined) return void (await running);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      running.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return;
    const released = await this.repository.releaseLeases(this.workerId);
    this.log.warn({ released }, 'stopping with jobs still running: their leases are given back for another process');
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Between batches, a stop() ends the drain; the batch in hand finishes first.
      this.running = this.drain(() => !this.stopped)
        .then(() => undefined)
        .catch((error: unknown) => this.log.error({ err: error }, 'job worker poll failed'))
        .then(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Tells the kind's owner that a job failed for good; its own failure is logged, never thrown. */
  private async tellFailed(job: JobRow, reason: string): Promise<void> {
    const onFailed = this.failedHandlers.get(job.kind);
    if (!onFailed) return;
    try {
      await onFailed(JSON.parse(job.payload), reason);
    } catch (error) {
      this.log.error({ err: error, jobId: job.id, kind: job.kind }, 'could not record that a job failed');
    }
  }

  private async runOne(job: JobRow): Promise<void> {
    const started = performance.now();
    const outcome = await this.runAndSettle(job);
    const seconds = (performance.now() - started) / 1000;
    for (const observer of this.observers) observer(job, outcome, seconds);
  }

  private async runAndSettle(job: JobRow): Promise<JobOutcome> {
    const lease: Lease = { workerId: this.workerId, attempt: job.attempts };
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      let payload: unknown;
      try {
        payload = JSON.parse(job.payload);
      } catch {
        throw new PermanentJobError('job payload is not JSON');
      }
      await handler(payload, job);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentJobError || job.attempts >= job.max_attempts;
      const now = this.clock.now();
      const delay = Math.min(this.backoffBaseMs * 2 ** (job.attempts - 1), this.backoffMaxMs);
      // Jitter spreads retries of many jobs that failed together (a provider outage).
      const runAt = now + Math.round(delay * (0.8 + Math.random() * 0.4));
      await this.repository.reschedule(job.id, lease, {
        runAt,
        error: message.slice(0, 1000),
        failedAt: permanent ? now : null,
      });
      this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, permanent, error: message }, 'job failed');
      if (permanent) await this.tellFailed(job, message.slice(0, 1000));
      return permanent ? 'failed' : 'retry';
    }
    // Outside the try: a job that ran must not be counted as failed (and run again) because its
    // bookkeeping failed; its lease runs out and the at-least-once retry is de-duplicated by the job id.
    if (!(await this.repository.delete(job.id, lease))) {
      this.log.warn(
        { jobId: job.id, kind: job.kind, attempt: job.attempts },
        'job finished after its lease ran out; another claim owns it now',
      );
    }
    return 'done';
  }
}
