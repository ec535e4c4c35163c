import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { AuditPageSchema, AuditQuery } from './schemas.js';
import { AUDIT_PAGE_MAX, auditCsv, type StaffService } from './service.js';

/** Staff: the audit log, searchable and downloadable as CSV (support and above). */
export function registerAuditAdminRoutes(app: HttpServer, deps: { staff: StaffService; guards: Guards }) {
  const { staff, guards } = deps;

  app.get(
    '/audit',
    {
      schema: {
        tags: ['admin'],
        operationId: 'listAuditRecords',
        summary:
          'Audit records, newest first, by staff member, account, action and time; CSV with format=csv or Accept: text/csv (support)',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema },
      },
      preHandler: guards.support,
    },
    async (request, reply) => {
      authOf(request);
      const { format, limit, ...filter } = request.query;
      const page = await staff.audit({
        ...filter,
        limit: limit === undefined ? undefined : Math.min(Math.max(Number(limit), 1), AUDIT_PAGE_MAX),
      });
      const wantsCsv = format === 'csv' || (format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
      if (!wantsCsv) return page;
      // A string with a non-JSON type goes out as it is: the response schema serializes only the JSON form.
      if (page.cursor) reply.header('x-next-cursor', page.cursor);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="lanyard-audit.csv"')
        .send(auditCsv(page.records) as unknown as typeof page);
    },
  );
}
