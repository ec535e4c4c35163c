import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import { WEBHOOK_EVENTS } from './service.js';

const EventSchema = Type.Union([Type.Literal(WEBHOOK_EVENTS[0])], { description: 'An event type' });
export const WebhookSchema = named(
  'Webhook',
  Type.Object({
    id: Type.String(),
    url: Type.String(),
    events: Type.Array(EventSchema),
    createdAt: TimeSchema,
    previousSecretUntil: Type.Union([TimeSchema, Type.Null()], {
      description:
        'After a rotation, until when the previous signing secret signs deliveries too (a second signature in webhook-signature); null when one secret signs',
    }),
  }),
);
export const DeliverySchema = named(
  'WebhookDelivery',
  Type.Object({
    id: Type.String(),
    eventId: Type.String({ description: 'The webhook-id header: the same on every try of this event' }),
    eventType: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    lastAttemptAt: Type.Union([TimeSchema, Type.Null()]),
    nextAttemptAt: Type.Union([TimeSchema, Type.Null()], {
      description: 'When the next try is due; null once delivered or given up',
    }),
    deliveredAt: Type.Union([TimeSchema, Type.Null()]),
    createdAt: TimeSchema,
  }),
);
export const WebhookParams = Strict({ id: IdSchema });

export const CreateWebhookBody = named(
  'CreateWebhookBody',
  Strict({
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'http:// or https:// URL that receives signed POSTs',
    }),
    events: Type.Array(EventSchema, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true }),
  }),
);

export const WebhookCreatedSchema = named(
  'WebhookCreated',
  Type.Object({
    ...WebhookSchema.properties,
    secret: Type.String({ description: 'Standard Webhooks signing secret; shown once' }),
  }),
);

export const WebhookSecretRotatedSchema = named(
  'WebhookSecretRotated',
  Type.Object({
    id: Type.String(),
    secret: Type.String({ description: 'The new Standard Webhooks signing secret (whsec_…); shown once' }),
    previousSecretUntil: Type.String({
      format: 'date-time',
      description: 'The previous secret signs beside the new one until then (24 hours): receivers switch meanwhile',
    }),
  }),
);

export const WebhookListSchema = named('WebhookList', Type.Object({ webhooks: Type.Array(WebhookSchema) }));

export const DeliveryListSchema = named('WebhookDeliveryList', Type.Object({ deliveries: Type.Array(DeliverySchema) }));
