import { sql } from 'kysely';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { Db, ErasureRow } from '../db/schema.js';
import type { HttpServer } from '../http/server.js';
import type { JobRepository } from '../jobs/repository.js';
import type { JobService } from '../jobs/service.js';

// Job kinds whose runs are also counted under their own names (what an operator pages on).
const MESSAGE_KINDS = new Set(['message.send', 'recovery.request']);
const ERASE_KIND = 'account.erase';

export interface MetricsDeps {
  db: Db;
  jobs: JobService;
  jobRepository: JobRepository;
  /** The erasure row of an account hash, to time an erasure once its chain of jobs has ended. */
  getErasure: (accountHash: string) => Promise<ErasureRow | undefined>;
  clock: Clock;
}

/**
 * Prometheus metrics of one server process: request latency per route, job runs, messages and erasures
 * as they happen here, and at each scrape the job queue and the webhook deliveries as the database holds
 * them (the same figures from every process: aggregate them with max, not sum).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly jobRuns: Counter<'kind' | 'outcome'>;
  private readonly jobDuration: Histogram<'kind'>;
  private readonly messages: Counter<'outcome'>;
  private readonly erasures: Counter<'outcome'>;
  private readonly erasureDuration: Histogram;
  /** Erasure outcomes still being looked up (the job observer is synchronous, the lookup is not). */
  private readonly pending = new Set<Promise<void>>();
  /** Erasures already counted, so that a stale link of a finished chain is not counted twice. */
  private readonly counted = new Set<string>();

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'lanyard_' });
    this.httpDuration = new Histogram({
      name: 'lanyard_http_request_duration_seconds',
      help: 'Time from the request to the end of the answer, per route (its pattern) and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.jobRuns = new Counter({
      name: 'lanyard_job_runs_total',
      help: 'Job runs in this process, by kind and how they ended (done, retry, failed)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'lanyard_job_run_duration_seconds',
      help: 'Duration of one job run, by kind',
      labelNames: ['kind'],
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
      registers,
    });
    this.messages = new Counter({
      name: 'lanyard_messages_total',
      help: 'Emails and SMS handed to their transport (sent), to be tried again (retry) or given up (failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.erasures = new Counter({
      name: 'lanyard_erasures_total',
      help: 'Account erasures finished (erased) or whose job failed for good (failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.erasureDuration = new Histogram({
      name: 'lanyard_erasure_duration_seconds',
      help: 'From the account deleted (erasure begun) to no residue',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    });

    const queueStats = () => deps.jobRepository.queueStats(deps.clock.now());
    new Gauge({
      name: 'lanyard_jobs_waiting',
      help: 'Jobs not failed, due or scheduled later, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const row of await queueStats()) this.set({ kind: row.kind }, row.waiting);
      },
    });
    new Gauge({
      name: 'lanyard_jobs_due',
      help: 'Jobs due now and not yet done (the queue depth), by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const row of await queueStats()) this.set({ kind: row.kind }, row.due);
      },
    });
    new Gauge({
      name: 'lanyard_jobs_oldest_due_age_seconds',
      help: 'How long the oldest due job has waited, by kind (0 when none is due)',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        const now = deps.clock.now();
        for (const row of await queueStats())
          this.set({ kind: row.kind }, row.oldestDueAt === null ? 0 : Math.max(0, (now - row.oldestDueAt) / 1000));
      },
    });
    new Gauge({
      name: 'lanyard_jobs_failed',
      help: 'Jobs failed for good and kept for inspection, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const row of await queueStats()) this.set({ kind: row.kind }, row.failed);
      },
    });
    new Gauge({
      name: 'lanyard_webhook_deliveries',
      help: 'Webhook deliveries recorded, by status (pending, delivered, failed)',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const rows = await deps.db
          .selectFrom('webhook_deliveries')
          .select(['status', sql<number>`count(*)`.as('n')])
          .groupBy('status')
          .execute();
        for (const row of rows) this.set({ status: row.status }, Number(row.n));
      },
    });
    new Gauge({
      name: 'lanyard_erasures',
      help: 'Erasures recorded, by status (scheduled, erasing, erased)',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        const rows = await deps.db
          .selectFrom('erasures')
          .select(['status', sql<number>`count(*)`.as('n')])
          .groupBy('status')
          .execute();
        for (const row of rows) this.set({ status: row.status }, Number(row.n));
      },
    });

    deps.jobs.observe((job, outcome, seconds) => {
      this.jobRuns.inc({ kind: job.kind, outcome });
      this.jobDuration.observe({ kind: job.kind }, seconds);
      if (MESSAGE_KINDS.has(job.kind)) this.messages.inc({ outcome: outcome === 'done' ? 'sent' : outcome });
      if (job.kind === ERASE_KIND) {
        const observing = this.observeErasure(job.payload, outcome).finally(() => this.pending.delete(observing));
        this.pending.add(observing);
      }
    });
  }

  /** Times every request by its route pattern (never its raw URL, which holds ids). */
  instrument(http: HttpServer): void {
    http.addHook('onResponse', (request, reply, done) => {
      this.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  /** The Prometheus text of every metric. */
  async render(): Promise<{ contentType: string; text: string }> {
    // An erasure that ended just before the scrape is counted in it, not in the next one.
    await Promise.all(this.pending);
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private async observeErasure(payload: string, outcome: string): Promise<void> {
    try {
      const hash = (JSON.parse(payload) as { erasure?: unknown }).erasure;
      if (typeof hash !== 'string' || this.counted.has(hash)) return;
      if (outcome === 'failed') {
        this.erasures.inc({ outcome: 'failed' });
        return;
      }
      const row = await this.deps.getErasure(hash);
      // The chain has ended (no link owns the erasure) with the account erased.
      if (!row || row.status !== 'erased' || row.job_id !== null || row.completed_at === null) return;
      this.counted.add(hash);
      if (this.counted.size > 10_000) this.counted.delete(this.counted.values().next().value!);
      this.erasures.inc({ outcome: 'erased' });
      this.erasureDuration.observe(Math.max(0, (row.completed_at - (row.deleted_at ?? row.erase_at)) / 1000));
    } catch {
      // Metrics never fail a job or the process; a database gone mid-shutdown is not worth a log line.
    }
  }
}
