import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { uuidv7 } from 'uuidv7';
import type { Clock } from '../clock.js';
import type { Executor, JobRow } from '../db/schema.js';
import type { JobRepository } from './repository.js';

export type JobHandler = (payload: unknown, job: JobRow) => Promise<void>;

export interface EnqueueOptions {
  kind: string;
  payload: unknown;
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

/** A job that asks not to be retried (bad payload): it is marked failed at once. */
export class PermanentJobError extends Error {}

/**
 * Durable jobs: enqueued in the caller's transaction (transactional outbox), run by a worker loop that
 * leases them, retried with exponential backoff, failures recorded on the row.
 */
export class JobService {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly workerId = `worker-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;

  constructor(
    private readonly repository: JobRepository,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    options: JobsOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.batchSize = options.batchSize ?? 10;
    this.backoffBaseMs = options.backoffBaseMs ?? 5000;
    this.backoffMaxMs = options.backoffMaxMs ?? 3600_000;
  }

  /** Declares how jobs of one kind run. */
  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Records a job in the caller's transaction; it runs only if that transaction commits. */
  async enqueue(executor: Executor, options: EnqueueOptions): Promise<string> {
    const id = uuidv7();
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
  async runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const jobs = await this.repository.claim(this.workerId, this.clock.now(), this.leaseMs, this.batchSize);
      if (jobs.length === 0) return total;
      await Promise.all(jobs.map((job) => this.runOne(job)));
      total += jobs.length;
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runDue()
        .catch((error: unknown) => this.log.error({ err: error }, 'job worker poll failed'))
        .then(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async runOne(job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.kind);
    try {
      if (!handler) throw new PermanentJobError(`no handler for job kind ${job.kind}`);
      await handler(JSON.parse(job.payload), job);
      await this.repository.delete(job.id, this.workerId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentJobError || job.attempts >= job.max_attempts;
      const now = this.clock.now();
      const delay = Math.min(this.backoffBaseMs * 2 ** (job.attempts - 1), this.backoffMaxMs);
      // Jitter spreads retries of many jobs that failed together (a provider outage).
      const runAt = now + Math.round(delay * (0.8 + Math.random() * 0.4));
      await this.repository.reschedule(job.id, this.workerId, { runAt, error: message.slice(0, 1000), failedAt: permanent ? now : null });
      this.log.warn({ jobId: job.id, kind: job.kind, attempt: job.attempts, permanent, error: message }, 'job failed');
    }
  }
}
