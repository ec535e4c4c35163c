import { Readable } from 'node:stream';
import { authOf, type Guards } from '../http/auth.js';
import type { HttpServer } from '../http/server.js';
import { AuditPageSchema, AuditQuery } from './schemas.js';
import { AUDIT_CSV_HEADER, AUDIT_PAGE_MAX, auditCsvRows, type StaffService } from './service.js';

/** The CSV download reads the log this many records at a time (keyset paging), whatever its length. */
const CSV_BATCH = AUDIT_PAGE_MAX;

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
          'Audit records, newest first, by staff member, account, action and time; CSV with format=csv or Accept: text/csv: every matching record (from the cursor, if any), streamed, limit ignored (support)',
        querystring: AuditQuery,
        response: { 200: AuditPageSchema },
      },
      preHandler: guards.support,
    },
    async (request, reply) => {
      authOf(request);
      const { format, limit, ...filter } = request.query;
      const wantsCsv = format === 'csv' || (format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
      if (!wantsCsv)
        return staff.audit({
          ...filter,
          limit: limit === undefined ? undefined : Math.min(Math.max(Number(limit), 1), AUDIT_PAGE_MAX),
        });
      // The first batch before any byte goes out, so that a bad filter or cursor is still a problem+json;
      // then batch after batch, each read when the client has taken the one before (constant memory).
      const first = await staff.audit({ ...filter, limit: CSV_BATCH });
      async function* csv() {
        yield AUDIT_CSV_HEADER;
        let page = first;
        for (;;) {
          yield auditCsvRows(page.records);
          if (page.cursor === null) return;
          page = await staff.audit({ ...filter, cursor: page.cursor, limit: CSV_BATCH });
        }
      }
      // A stream goes out as it is: the response schema serializes only the JSON form.
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="lanyard-audit.csv"')
        .send(Readable.from(csv(), { objectMode: false }) as unknown as Awaited<ReturnType<typeof staff.audit>>);
    },
  );
}
