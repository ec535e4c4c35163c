import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { IdSchema, TimeSchema } from '../http/schemas.js';

export const ExportSchema = named(
  'Export',
  Type.Object(
    {
      id: Type.String(),
      status: Type.Union([
        Type.Literal('pending'),
        Type.Literal('ready'),
        Type.Literal('failed'),
        Type.Literal('expired'),
      ]),
      createdAt: TimeSchema,
      completedAt: Type.Union([TimeSchema, Type.Null()]),
      expiresAt: Type.Union([TimeSchema, Type.Null()], {
        description: 'Until when the zip can be downloaded (7 days after it was made)',
      }),
      size: Type.Union([Type.Integer(), Type.Null()], { description: 'Bytes of the zip' }),
      download: Type.Union([Type.String(), Type.Null()], { description: 'Where to GET the zip, once ready' }),
      error: Type.Union([Type.String(), Type.Null()], {
        description: 'Why the export failed, when its status is "failed"; POST /v1/me/export again for a new one',
      }),
    },
    { description: 'An export of the account’s cloud data' },
  ),
);

export const ExportIdParams = Type.Object({ id: IdSchema });
