// The webhook endpoints' schemas; the staff routes that use them are in src/admin/webhooks.ts.
import { Type } from 'typebox';
import { IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import { WEBHOOK_EVENTS } from './service.js';

export const EventSchema = Type.Union([Type.Literal(WEBHOOK_EVENTS[0])], { description: 'An event type' });
export const WebhookSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(EventSchema),
  createdAt: TimeSchema,
});
export const DeliverySchema = Type.Object({
  id: Type.String(),
  eventId: Type.String({ description: 'The webhook-id header: the same on every try of this event' }),
  eventType: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastAttemptAt: Type.Union([TimeSchema, Type.Null()]),
  nextAttemptAt: Type.Union([TimeSchema, Type.Null()], { description: 'When the next try is due; null once delivered or given up' }),
  deliveredAt: Type.Union([TimeSchema, Type.Null()]),
  createdAt: TimeSchema,
});
export const WebhookParams = Strict({ id: IdSchema });
export const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];
