import type { Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import type { UnlockRequestService } from '../unlock/service.js';
import type { WebhookService } from '../webhooks/service.js';
import { registerAccountAdminRoutes } from './accounts.js';
import { registerAuditAdminRoutes } from './audit.js';
import { registerCreditAdminRoutes } from './credits.js';
import type { StaffService } from './service.js';
import { registerStaffAdminRoutes } from './staff.js';
import { registerUnlockRequestAdminRoutes } from './unlock-requests.js';
import { registerWebhookAdminRoutes } from './webhooks.js';

/**
 * Every staff route, in one scope under /v1/admin: a reader finds what staff can do here, and each route
 * still names the role it needs (support or admin), which the guard enforces and the credential table
 * test checks. The apps' staff routes (POST /v1/admin/apps and the rest) still live in src/client-apps/routes.ts.
 */
export function registerAdminRoutes(
  app: HttpServer,
  deps: { webhooks: WebhookService; unlock: UnlockRequestService; staff: StaffService; guards: Guards },
) {
  app.register(
    async (scope) => {
      registerAccountAdminRoutes(scope, deps);
      registerAuditAdminRoutes(scope, deps);
      registerCreditAdminRoutes(scope, deps);
      registerStaffAdminRoutes(scope, deps);
      registerWebhookAdminRoutes(scope, deps);
      registerUnlockRequestAdminRoutes(scope, deps);
    },
    { prefix: '/v1/admin' },
  );
}
