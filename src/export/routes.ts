import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { authOf, type Guards } from '../http/auth.js';
import { IdSchema, TimeSchema } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import type { ExportService } from './service.js';

const ExportSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('ready'), Type.Literal('failed'), Type.Literal('expired')]),
    createdAt: TimeSchema,
    completedAt: Type.Union([TimeSchema, Type.Null()]),
    expiresAt: Type.Union([TimeSchema, Type.Null()], { description: 'Until when the zip can be downloaded (7 days after it was made)' }),
    size: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes of the zip' }),
    download: Type.Union([Type.String(), Type.Null()], { description: 'Where to GET the zip, once ready' }),
  },
  { description: 'An export of the account’s cloud data' },
);
const security: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];

/** Exports: ask for a zip of everything in the cloud, follow it, download it. */
export function registerExportRoutes(app: HttpServer, deps: { exports: ExportService; guards: Guards }) {
  const { exports, guards } = deps;

  app.post('/v1/me/export', {
    schema: {
      tags: ['cloud'],
      summary: 'Ask for a copy of all cloud data: a zip with a JSON file per collection and the original photos',
      security,
      response: { 202: ExportSchema },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => reply.code(202).send(await exports.request(authOf(request).accountId)));

  app.get('/v1/me/export/:id', {
    schema: { tags: ['cloud'], summary: "An export's status", security, params: Type.Object({ id: IdSchema }), response: { 200: ExportSchema } },
    preHandler: guards.account,
  }, async (request) => exports.get(authOf(request).accountId, request.params.id));

  app.get('/v1/me/export/:id/download', {
    schema: {
      tags: ['cloud'],
      summary: 'Download a ready export (application/zip); 409 while it is being made, 404 after its 7 days',
      security,
      produces: ['application/zip'],
      params: Type.Object({ id: IdSchema }),
      response: { 200: { type: 'string', format: 'binary', description: 'The zip' } },
    },
    preHandler: guards.fresh,
  }, async (request, reply) => {
    const { stream, size } = await exports.openDownload(authOf(request).accountId, request.params.id);
    reply.header('content-type', 'application/zip');
    reply.header('content-length', String(size));
    reply.header('content-disposition', `attachment; filename="lanyard-export-${request.params.id}.zip"`);
    reply.header('cache-control', 'private, no-store');
    // Typed as the schema's string for the OpenAPI document; the bytes go out as a stream.
    return (reply as FastifyReply).send(stream);
  });
}
