import type { Guards } from '../http/auth.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { CreateWebhookBody, DeliveryListSchema, WebhookCreatedSchema, WebhookListSchema, WebhookParams } from './schemas.js';
import type { WebhookService } from './service.js';

/** Staff: webhook endpoints of linked services, and what was delivered to each. */
export function registerWebhookRoutes(app: HttpServer, deps: { webhooks: WebhookService; guards: Guards }) {
  const { webhooks, guards } = deps;

  app.post('/v1/admin/webhooks', {
    schema: {
      tags: ['admin'],
      operationId: 'createWebhook',
      summary: 'Register a webhook endpoint (staff); the signing secret (whsec_…) is shown once',
      body: CreateWebhookBody,
      response: { 201: WebhookCreatedSchema },
    },
    preHandler: guards.staff,
  }, async (request, reply) => reply.code(201).send(await webhooks.register(request.body)));

  app.get('/v1/admin/webhooks', {
    schema: { tags: ['admin'], operationId: 'listWebhooks', summary: 'Every webhook endpoint (staff)', response: { 200: WebhookListSchema } },
    preHandler: guards.staff,
  }, async () => ({ webhooks: await webhooks.list() }));

  app.delete('/v1/admin/webhooks/:id', {
    schema: { tags: ['admin'], operationId: 'deleteWebhook', summary: 'Remove a webhook endpoint and its delivery history (staff)', params: WebhookParams, response: { 204: NoContent } },
    preHandler: guards.staff,
  }, async (request, reply) => {
    await webhooks.remove(request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/v1/admin/webhooks/:id/deliveries', {
    schema: {
      tags: ['admin'],
      operationId: 'listWebhookDeliveries',
      summary: "An endpoint's deliveries, newest first: status, tries, last error, next try (staff)",
      params: WebhookParams,
      response: { 200: DeliveryListSchema },
    },
    preHandler: guards.staff,
  }, async (request) => ({ deliveries: await webhooks.deliveries(request.params.id) }));
}
