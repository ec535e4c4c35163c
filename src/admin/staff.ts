import { authOf, type Guards } from '../http/auth.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { AddStaffBody, StaffListSchema, StaffMemberSchema, StaffParams } from './schemas.js';
import type { StaffService } from './service.js';

/** Admins: who is staff, with which role (audited). */
export function registerStaffAdminRoutes(app: HttpServer, deps: { staff: StaffService; guards: Guards }) {
  const { staff, guards } = deps;

  app.get(
    '/staff',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listStaff',
        summary: 'Every staff member, with role and whether two-step verification is enrolled (admin)',
        response: { 200: StaffListSchema },
      },
      preHandler: guards.admin,
    },
    async () => ({ staff: await staff.listStaff() }),
  );

  app.post(
    '/staff',
    {
      schema: {
        tags: ['admin'],
        operationId: 'addStaff',
        summary:
          "Make an existing account staff, or change a staff member's role (admin; audited). 201 when the account becomes staff, 200 when its role changes",
        body: AddStaffBody,
        response: { 200: StaffMemberSchema, 201: StaffMemberSchema },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => {
      const { member, created } = await staff.addStaff(authOf(request), request.body);
      return reply.code(created ? 201 : 200).send(member);
    },
  );

  app.delete(
    '/staff/:accountId',
    {
      schema: {
        tags: ['admin'],
        operationId: 'removeStaff',
        summary: "Remove a staff member: the account becomes a person's account again (admin; audited)",
        params: StaffParams,
        response: { 204: NoContent },
      },
      preHandler: guards.admin,
    },
    async (request, reply) => {
      await staff.removeStaff(authOf(request), request.params.accountId);
      return reply.code(204).send(null);
    },
  );
}
