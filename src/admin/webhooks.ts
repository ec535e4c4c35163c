import { Type } from 'typebox';
import type { Guards } from '../http/auth.js';
import { NoContent, Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { DeliverySchema, EventSchema, security, WebhookParams, WebhookSchema } from '../webhooks/routes.js';
import { WEBHOOK_EVENTS, type WebhookService } from '../webhooks/service.js';

/** Staff: webhook endpoints of linked services, and what was delivered to each. */
export function registerWebhookAdminRoutes(app: HttpServer, deps: { webhooks: WebhookService; guards: Guards }) {
  const { webhooks, guards } = deps;

  app.post('/webhooks', {
    schema: {
      tags: ['admin'],
      summary: 'Register a webhook endpoint (staff); the signing secret (whsec_…) is shown once',
      security,
      body: Strict({
        url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// URL that receives signed POSTs' }),
        events: Type.Array(EventSchema, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true }),
      }),
      response: { 201: Type.Object({ ...WebhookSchema.properties, secret: Type.String({ description: 'Standard Webhooks signing secret; shown once' }) }) },
    },
    preHandler: guards.admin,
  }, async (request, reply) => reply.code(201).send(await webhooks.register(request.body)));

  app.get('/webhooks', {
    schema: { tags: ['admin'], summary: 'Every webhook endpoint (staff)', security, response: { 200: Type.Object({ webhooks: Type.Array(WebhookSchema) }) } },
    preHandler: guards.admin,
  }, async () => ({ webhooks: await webhooks.list() }));

  app.delete('/webhooks/:id', {
    schema: { tags: ['admin'], summary: 'Remove a webhook endpoint and its delivery history (staff)', security, params: WebhookParams, response: { 204: NoContent } },
    preHandler: guards.admin,
  }, async (request, reply) => {
    await webhooks.remove(request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/webhooks/:id/deliveries', {
    schema: {
      tags: ['admin'],
      summary: "An endpoint's deliveries, newest first: status, tries, last error, next try (staff)",
      security,
      params: WebhookParams,
      response: { 200: Type.Object({ deliveries: Type.Array(DeliverySchema) }) },
    },
    preHandler: guards.admin,
  }, async (request) => ({ deliveries: await webhooks.deliveries(request.params.id) }));
}
