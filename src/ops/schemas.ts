import { Type } from 'typebox';
import { named } from '../http/openapi.js';

export const HealthSchema = named(
  'Health',
  Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false }),
);

export const ReadinessSchema = named(
  'Readiness',
  Type.Object(
    {
      status: Type.Literal('ready'),
      checks: Type.Record(Type.String(), Type.String(), {
        description: 'Each part this server needs (database, redis) and its state: ok, not configured',
      }),
    },
    { additionalProperties: false },
  ),
);

export const MetricsText = Type.String({ description: 'Prometheus text exposition format 0.0.4' });
