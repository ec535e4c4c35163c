import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { IdSchema, PasswordSchema, Strict, TimeSchema, UnreadableSchema } from '../http/schemas.js';

export const SerialSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'The serial number (letters, digits, . _ -; case does not matter)',
});
export const ImeiSchema = Type.String({ pattern: '^[0-9]{15}$', description: 'The 15-digit IMEI' });
// Enums rather than unions of literals: a wrong value then gets one error that names the field.
export const DeviceKindSchema = Type.Enum(['phone', 'tablet', 'watch', 'band', 'other'], {
  description: 'phone, tablet, watch, band or other',
});
export const CommandTypeSchema = Type.Enum(['locate', 'ring', 'lock', 'erase'], {
  description: 'locate, ring, lock (with a message shown on the device) or erase (needs a fresh session)',
});
export const CommandStateSchema = Type.Enum(['queued', 'delivered', 'done', 'failed', 'expired'], {
  description: 'queued → delivered → done | failed; expired when the device did not answer within 7 days',
});

export const LinkDeviceBody = named(
  'LinkDeviceBody',
  Strict({
    serial: SerialSchema,
    model: Type.String({ minLength: 1, maxLength: 100, description: 'e.g. Redmi Note 13; no control characters' }),
    name: Type.String({ minLength: 1, maxLength: 100, description: 'What the owner calls it; no control characters' }),
    kind: DeviceKindSchema,
    imei: Type.Optional(ImeiSchema),
  }),
);

export const LocationSchema = Type.Object({
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  accuracy: Type.Number({ minimum: 0, maximum: 1_000_000, description: 'Radius in metres' }),
});

export const DeviceSchema = named(
  'Device',
  Type.Object(
    {
      id: Type.String(),
      name: Type.String(),
      model: Type.String(),
      kind: DeviceKindSchema,
      serialHint: Type.String({ description: 'The last characters of the serial' }),
      linkedAt: TimeSchema,
      lastSeenAt: TimeSchema,
      locked: Type.Boolean({ description: 'Whether the device lock holds it to this account' }),
      tokenActive: Type.Boolean({
        description: 'Whether the device still holds a valid device token (false after an erase)',
      }),
    },
    { description: 'A linked device' },
  ),
);

export const DeviceDetailSchema = named(
  'DeviceDetail',
  Type.Object(
    {
      ...DeviceSchema.properties,
      lastLocation: Type.Union([Type.Object({ ...LocationSchema.properties, at: TimeSchema }), Type.Null()], {
        description: 'The last position the device reported to a locate command',
      }),
    },
    { description: 'A linked device with its last known location' },
  ),
);

export const CommandSchema = named(
  'Command',
  Type.Object(
    {
      id: Type.String(),
      type: CommandTypeSchema,
      message: Type.Optional(Type.String()),
      state: CommandStateSchema,
      createdAt: TimeSchema,
      expiresAt: TimeSchema,
      deliveredAt: Type.Union([TimeSchema, Type.Null()]),
      completedAt: Type.Union([TimeSchema, Type.Null()]),
    },
    { description: 'A Find Device command, as its owner sees it' },
  ),
);

/** A command as the device receives it. */
export const DeviceCommandSchema = named(
  'DeviceCommand',
  Type.Object({
    id: Type.String(),
    type: CommandTypeSchema,
    message: Type.Optional(Type.String()),
    createdAt: TimeSchema,
  }),
);

export const CreateCommandBody = named(
  'CreateCommandBody',
  Strict({
    type: CommandTypeSchema,
    message: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Shown on the device (lock, ring); no control characters',
      }),
    ),
  }),
);

export const CommandResultBody = named(
  'CommandResultBody',
  Strict({
    status: Type.Enum(['done', 'failed']),
    location: Type.Optional(Strict(LocationSchema.properties)),
  }),
);

export const DeviceSignOutBody = named('DeviceSignOutBody', Strict({ password: PasswordSchema }));
export const DeviceIdParams = Strict({ id: IdSchema });

export const ActivationSchema = named(
  'Activation',
  Type.Object({
    locked: Type.Boolean(),
    ownerHint: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description:
          "A masked email or phone of the owner, e.g. j***@e***.com; null for a lock kept past its account's deletion",
      }),
    ),
  }),
);

export const LinkedDeviceSchema = named(
  'LinkedDevice',
  Type.Object({
    device: DeviceSchema,
    deviceToken: Type.String({ description: 'Bearer token of the device; shown once' }),
  }),
);
export const DeviceListSchema = named(
  'DeviceList',
  Type.Object({ devices: Type.Array(DeviceSchema), unreadable: UnreadableSchema }),
);
export const CommandCreatedSchema = named('CommandCreated', Type.Object({ command: CommandSchema }));
export const CommandListSchema = named('CommandList', Type.Object({ commands: Type.Array(CommandSchema) }));
export const DeviceCommandListSchema = named(
  'DeviceCommandList',
  Type.Object({ commands: Type.Array(DeviceCommandSchema) }),
);
export const CommandIdParams = Strict({ id: IdSchema });
export const SerialParams = Strict({ serial: SerialSchema });
