import type { FastifyReply } from 'fastify';
import { authOf, type Guards } from '../http/auth.js';
import { attachment } from '../http/headers.js';
import type { HttpServer } from '../http/server.js';
import { ExportIdParams, ExportSchema } from './schemas.js';
import type { ExportService } from './service.js';

/** Exports: ask for a zip of everything in the cloud, follow it, download it. */
export function registerExportRoutes(app: HttpServer, deps: { exports: ExportService; guards: Guards }) {
  const { exports, guards } = deps;

  app.post(
    '/v1/me/export',
    {
      schema: {
        tags: ['cloud'],
        operationId: 'requestExport',
        summary: 'Ask for a copy of all cloud data: a zip with a JSON file per collection and the original photos',
        response: { 202: ExportSchema },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => reply.code(202).send(await exports.request(authOf(request).accountId)),
  );

  app.get(
    '/v1/me/export/:id',
    {
      schema: {
        tags: ['cloud'],
        operationId: 'getExport',
        summary: "An export's status",
        params: ExportIdParams,
        response: { 200: ExportSchema },
      },
      preHandler: guards.account,
    },
    async (request) => exports.get(authOf(request).accountId, request.params.id),
  );

  app.get(
    '/v1/me/export/:id/download',
    {
      schema: {
        tags: ['cloud'],
        operationId: 'downloadExport',
        summary: 'Download a ready export (application/zip); 409 while it is being made, 404 after its 7 days',
        produces: ['application/zip'],
        params: ExportIdParams,
        response: { 200: { type: 'string', format: 'binary', description: 'The zip' } },
      },
      preHandler: guards.fresh,
    },
    async (request, reply) => {
      const { stream, size } = await exports.openDownload(authOf(request).accountId, request.params.id);
      reply.header('content-type', 'application/zip');
      reply.header('content-length', String(size));
      reply.header('content-disposition', attachment(`lanyard-export-${request.params.id}.zip`));
      reply.header('cache-control', 'private, no-store');
      // Typed as the schema's string for the OpenAPI document; the bytes go out as a stream.
      return (reply as FastifyReply).send(stream);
    },
  );
}
