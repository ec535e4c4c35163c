import underPressure from '@fastify/under-pressure';
import { sql } from 'kysely';
import { timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/schema.js';
import { AppError } from '../http/errors.js';
import type { HttpServer } from '../http/server.js';
import type { Metrics } from './metrics.js';
import { HealthSchema, MetricsText, ReadinessSchema } from './schemas.js';

export interface OperationsDeps {
  db: Db;
  metrics: Metrics;
  /** Pings Redis; undefined when no Redis is configured. */
  pingRedis: (() => Promise<unknown>) | undefined;
  config: Config['operations'];
}

// Probes and metrics answer even when the server sheds load: an overloaded process is alive, and its
// metrics are what tells the operator why.
const exempt = { pressureHandler: () => undefined };

/** How long a readiness check may take before its part counts as unreachable. */
const READY_TIMEOUT_MS = 2000;

/**
 * Overload protection (503 with Retry-After once the event loop lags) and the operator's endpoints:
 * /healthz (the process answers), /readyz (its database and Redis answer), /metrics (Prometheus).
 * Registered before the features' routes, so that the overload check runs first on every request.
 */
export function registerOperations(http: HttpServer, deps: OperationsDeps): void {
  const { config, metrics } = deps;
  metrics.instrument(http);
  if (config.maxEventLoopDelayMs > 0) {
    http.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      sampleInterval: config.pressureSampleMs,
      // Refused before any work is done, as problem+json like every other error. A sample without a single
      // reading (the loop held for the whole interval, as at start-up) comes as Infinity: no measure, no refusal.
      pressureHandler: async (_request: unknown, _reply: unknown, type: string, value: number | undefined) => {
        if (type === 'eventLoopDelay' && !Number.isFinite(value)) return;
        throw new AppError(
          'overloaded',
          `The server is overloaded; try again in ${config.overloadRetryAfterSeconds} s`,
          { retryAfterSeconds: config.overloadRetryAfterSeconds },
        );
      },
    });
  }

  http.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getHealth',
        summary: 'Whether the process answers (a liveness probe); answers even under overload',
        response: { 200: HealthSchema },
      },
      config: exempt,
    },
    async () => ({ status: 'ok' as const }),
  );

  http.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary:
          'Whether the database and Redis answer (a readiness probe); 503 service_unavailable with the checks when one does not',
        response: { 200: ReadinessSchema },
      },
    },
    async () => {
      const checks: Record<string, string> = {};
      const check = async (name: string, probe: () => Promise<unknown>) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            probe(),
            new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS))),
          ]);
          checks[name] = 'ok';
        } catch (error) {
          checks[name] = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
        } finally {
          clearTimeout(timer);
        }
      };
      await Promise.all([
        check('database', () => sql`select 1`.execute(deps.db)),
        deps.pingRedis ? check('redis', deps.pingRedis) : undefined,
      ]);
      if (!deps.pingRedis) checks.redis = 'not configured';
      if (Object.values(checks).some((state) => state.startsWith('unreachable'))) {
        throw new AppError('service_unavailable', 'A part this server needs does not answer', {
          checks,
          retryAfterSeconds: config.overloadRetryAfterSeconds,
        });
      }
      return { status: 'ready' as const, checks };
    },
  );

  http.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics; with LANYARD_METRICS_TOKEN set, only for `Authorization: Bearer <that token>`',
        produces: ['text/plain'],
        response: { 200: MetricsText },
      },
      config: exempt,
    },
    async (request, reply) => {
      if (config.metricsToken !== undefined) {
        const given = Buffer.from(request.headers.authorization ?? '');
        const expected = Buffer.from(`Bearer ${config.metricsToken}`);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new AppError('unauthenticated', 'GET /metrics needs the metrics token (LANYARD_METRICS_TOKEN)');
        }
      }
      const { contentType, text } = await metrics.render();
      return reply.type(contentType).send(text);
    },
  );
}
