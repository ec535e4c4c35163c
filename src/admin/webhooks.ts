import { authOf, type Guards } from '../http/auth.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import {
  CreateWebhookBody,
  DeliveryListSchema,
  DeliverySchema,
  WebhookCreatedSchema,
  WebhookListSchema,
  WebhookParams,
  WebhookSecretRotatedSchema,
} from '../webhooks/schemas.js';
import type { WebhookService } from '../webhooks/service.js';
import { DeliveryParams } from './schemas.js';
import type { StaffService } from './service.js';

/** Staff: webhook endpoints of linked services, and what was delivered to each (admin). */
export function registerWebhookAdminRoutes(
  app: HttpServer,
  deps: { webhooks: WebhookService; staff: StaffService; guards: Guards },
) {
  const { webhooks, staff, guards } = deps;

  app.post(
    '/webhooks',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createWebhook',
        summary: 'Register a webhook endpoint (admin); the signing secret (whsec_…) is shown once',
        body: CreateWebhookBody,
        response: { 201: WebhookCreatedSchema },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => reply.code(201).send(await webhooks.register(request.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listWebhooks',
        summary: 'Every webhook endpoint (admin)',
        response: { 200: WebhookListSchema },
      },
      preHandler: guards.admin,
    },
    async () => ({ webhooks: await webhooks.list() }),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags: ['admin'],
        operationId: 'deleteWebhook',
        summary: 'Remove a webhook endpoint and its delivery history (admin)',
        params: WebhookParams,
        response: { 204: NoContent },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => {
      await webhooks.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/secret',
    {
      schema: {
        tags: ['admin'],
        operationId: 'rotateWebhookSecret',
        summary:
          "Rotate an endpoint's signing secret (admin; audited): the new one is shown once, and the previous one signs beside it for 24 hours",
        params: WebhookParams,
        response: { 200: WebhookSecretRotatedSchema },
      },
      preHandler: guards.admin,
    },
    async (request) => staff.rotateWebhookSecret(authOf(request), request.params.id),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listWebhookDeliveries',
        summary: "An endpoint's deliveries, newest first: status, tries, last error, next try (admin)",
        params: WebhookParams,
        response: { 200: DeliveryListSchema },
      },
      preHandler: guards.admin,
    },
    async (request) => ({ deliveries: await webhooks.deliveries(request.params.id) }),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags: ['admin'],
        operationId: 'redeliverWebhookDelivery',
        summary: 'Queue a delivery again (delivered, failed or pending), with the same event id (admin; audited)',
        params: DeliveryParams,
        response: { 202: DeliverySchema },
      },
      preHandler: guards.admin,
    },
    async (request, reply) =>
      reply.code(202).send(await staff.redeliver(authOf(request), request.params.id, request.params.deliveryId)),
  );
}
