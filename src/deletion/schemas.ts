import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { ChannelSchema, CodeSchema, IdSchema, Strict, TimeSchema } from '../http/schemas.js';
import { CONFIRMATION_SENTENCE } from './service.js';

const CountSchema = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });
const DeviceAtStakeSchema = named(
  'DeviceAtStake',
  Type.Object({
    id: Type.String(),
    name: Type.String(),
    model: Type.String(),
    kind: Type.String(),
    serialHint: Type.String(),
    locked: Type.Boolean({ description: 'Locked to this account (activation lock)' }),
    signedIn: Type.Boolean({ description: 'Its device token is still valid' }),
    lastSeenAt: TimeSchema,
  }),
);
export const SummarySchema = named(
  'DeletionSummary',
  Type.Object({
    collections: Type.Object({
      contacts: CountSchema,
      notes: CountSchema,
      messages: CountSchema,
      'app-data': CountSchema,
      photos: CountSchema,
    }),
    photos: CountSchema,
    totalBytes: Type.Integer(),
    devices: Type.Array(DeviceAtStakeSchema),
    apps: Type.Array(Type.Object({ clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()) }), {
      description: 'Apps with access to the account',
    }),
    creditBalance: Type.Number(),
    channels: Type.Array(ChannelSchema, { description: 'Channels the deletion code can be sent by' }),
    graceDays: Type.Integer({
      description: 'Days between the confirmation and the erasure, during which it can be cancelled; 0: at once',
    }),
    export: Type.Object(
      { method: Type.Literal('POST'), path: Type.String(), description: Type.String() },
      { description: 'Download your data first' },
    ),
  }),
);
export const CancelBody = named(
  'CancelDeletionBody',
  Strict({ token: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }) }),
);

export const DeletionRequestBody = named(
  'DeletionRequestBody',
  Strict({
    confirm: Type.String({ maxLength: 200, description: `Exactly "${CONFIRMATION_SENTENCE}"` }),
    channel: ChannelSchema,
  }),
);

export const DeletionRequestedSchema = named(
  'DeletionRequested',
  Type.Object({
    id: Type.String({ description: 'The deletion request, to confirm with the code' }),
    channel: ChannelSchema,
    expiresAt: TimeSchema,
    sentTo: Type.String({ description: 'The masked address the code went to' }),
    devices: Type.Array(DeviceAtStakeSchema),
  }),
);

export const DeletionParams = Strict({ id: IdSchema });

export const ConfirmDeletionBody = named(
  'ConfirmDeletionBody',
  Strict({
    code: CodeSchema,
    releaseDevices: Type.Optional(
      Type.Boolean({ description: 'Release the locks of the linked devices with the deletion' }),
    ),
    acknowledgeLockedDevices: Type.Optional(
      Type.Boolean({ description: 'Leave the linked devices locked; only an unlock request can release them then' }),
    ),
  }),
);

export const DeletionConfirmedSchema = named(
  'DeletionConfirmed',
  Type.Object({
    status: Type.Union([Type.Literal('deleted'), Type.Literal('scheduled')], {
      description: 'scheduled: a grace period is configured; erased at eraseAt unless cancelled',
    }),
    deletedAt: TimeSchema,
    eraseAt: Type.Optional(TimeSchema),
    keptLocks: Type.Integer({ description: 'Devices that stay locked' }),
  }),
);

export const CancelPageQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 128 })) });

export const HtmlPage = Type.String({ description: 'HTML' });

export const DeletionCancelledSchema = named('DeletionCancelled', Type.Object({ status: Type.Literal('active') }));
