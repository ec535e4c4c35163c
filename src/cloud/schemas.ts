import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { TimeSchema } from '../http/schemas.js';
import { MAX_BATCH_OPS } from './batch.js';
import { COLLECTIONS, DEFAULT_PAGE, MAX_PAGE } from './service.js';

export const CollectionSchema = Type.Union(
  COLLECTIONS.map((c) => Type.Literal(c)),
  { description: 'contacts, notes, messages, app-data (JSON items) or photos (image bytes)' },
);

/** Item ids are the client's: anything printable up to 200 characters, without "/". */
export const ItemIdSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\x00-\\x1f\\x7f/]+$',
  description: "The client's id for the item",
});

export const ItemParams = Type.Object({ collection: CollectionSchema, itemId: ItemIdSchema });
export const PhotoParams = Type.Object({ collection: Type.Literal('photos'), itemId: ItemIdSchema });

export const ItemWrittenSchema = named(
  'ItemWritten',
  Type.Object(
    {
      id: Type.String(),
      version: Type.Integer({ description: 'Starts at 1 and grows by one with every change, deletions included' }),
      updatedAt: TimeSchema,
    },
    { description: 'The item as stored now' },
  ),
);

export const ItemSchema = named(
  'Item',
  Type.Object(
    {
      id: Type.String(),
      version: Type.Integer(),
      updatedAt: TimeSchema,
      data: Type.Optional(Type.Unknown({ description: 'The JSON item (not for photos)' })),
      size: Type.Optional(Type.Integer({ description: 'Photos: bytes of the original' })),
      contentType: Type.Optional(Type.String({ description: 'Photos: the image type, as sniffed from its bytes' })),
      thumbnail: Type.Optional(Type.Boolean({ description: 'Photos: whether GET …/thumbnail has one' })),
    },
    { description: 'An item; photos carry size, contentType and thumbnail instead of data' },
  ),
);

export const ChangesQuery = Type.Object(
  {
    since: Type.Optional(
      Type.String({
        maxLength: 256,
        description:
          'The cursor of the previous page or sync; omit it to start from the beginning. With order=newest, the cursor of the previous newest-first page',
      }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('changes'), Type.Literal('newest')], {
        description:
          "changes (default): delta sync, oldest change first, with deletions. newest: the live items only, most recently changed first (a gallery's first screen from the first page); its cursor is for this order only",
      }),
    ),
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: `Items per page, 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE})`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const ChangesSchema = named(
  'Changes',
  Type.Object({
    items: Type.Array(ItemSchema, {
      description: 'Items created or changed since the cursor, in the order they changed',
    }),
    deleted: Type.Array(Type.String(), { description: 'Ids of items deleted since the cursor' }),
    cursor: Type.String({ description: 'Send it back as "since" for the next page or the next sync' }),
    hasMore: Type.Boolean({ description: 'Whether another page follows right away' }),
    unreadable: Type.Array(Type.String(), {
      description:
        'Ids of items changed since the cursor that could not be read (a damaged row); every other item is in items',
    }),
  }),
);

const Usage = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });
export const SummarySchema = named(
  'CloudSummary',
  Type.Object({
    collections: Type.Object(Object.fromEntries(COLLECTIONS.map((c) => [c, Usage])), {
      description: 'Live items and their bytes, per collection',
    }),
    usedBytes: Type.Integer({ description: 'Bytes counted against the quota' }),
    quotaBytes: Type.Integer(),
  }),
);

export const CollectionParams = Type.Object({ collection: CollectionSchema });

export const PreconditionHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The version the client last saw ("3" or 3): the write happens only if it is still the current one, else 409 conflict. "*": only if the item exists.',
    }),
  ),
  'if-none-match': Type.Optional(Type.String({ description: '"*": create only, 409 conflict if the item exists' })),
});

/** A JSON item is the person's own JSON; a photo is its image bytes: the body is open by design. */
export const ItemBody = named('ItemBody', Type.Unknown({ description: 'The JSON item, or the photo bytes' }));

/** Bytes, not JSON: a photo's original or its thumbnail. */
export const Binary = { type: 'string', format: 'binary' } as const;

export const BatchParams = Type.Object({
  collection: Type.Union(
    COLLECTIONS.filter((c) => c !== 'photos').map((c) => Type.Literal(c)),
    { description: 'contacts, notes, messages or app-data (photos are uploaded one by one)' },
  ),
});

export const BatchOpSchema = Type.Unknown({
  description:
    '{op: "put", id, data, ifMatch?} or {op: "delete", id, ifMatch?}; ifMatch is a version number or "*". Each is checked on its own: a malformed one gets status 400 in its result, the others go ahead.',
});

export const BatchBody = named(
  'BatchBody',
  Type.Object(
    {
      ops: Type.Array(BatchOpSchema, {
        minItems: 1,
        maxItems: MAX_BATCH_OPS,
        description: `1 to ${MAX_BATCH_OPS} operations, applied in order in one transaction`,
      }),
      since: Type.Optional(
        Type.String({
          maxLength: 256,
          description:
            "The cursor of the last sync: the answer's cursor then moves past this batch only when nothing else changed in between",
        }),
      ),
    },
    { additionalProperties: false },
  ),
);

export const BatchResultSchema = named(
  'BatchResult',
  Type.Object({
    results: Type.Array(
      Type.Object({
        id: Type.String({ description: 'The operation\'s id ("" when it had none)' }),
        status: Type.Union([Type.Literal(200), Type.Literal(204), Type.Literal(409), Type.Literal(400)], {
          description:
            '200 written, 204 deleted (or already absent), 409 conflict with the current version, 400 invalid',
        }),
        version: Type.Optional(
          Type.Integer({
            description: '200 and 204: the version written; 409: the current version, when the item exists',
          }),
        ),
        updatedAt: Type.Optional(TimeSchema),
        code: Type.Optional(Type.String({ description: 'conflict, validation_failed or payload_too_large' })),
        detail: Type.Optional(Type.String()),
      }),
      { description: 'One result per operation, in the order sent' },
    ),
    cursor: Type.String({
      description:
        'Past this batch when nothing else changed since "since" (the start without it); else "since" itself, so that a delta sync from it still brings the other changes',
    }),
  }),
);
