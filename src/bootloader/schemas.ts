import { Type } from 'typebox';
import { SerialSchema } from '../devices/schemas.js';
import { named } from '../http/openapi.js';
import { Strict, TimeSchema } from '../http/schemas.js';

export const BootloaderKeySetSchema = named(
  'BootloaderKeySet',
  Type.Object({
    keys: Type.Array(
      Type.Object({
        kid: Type.String(),
        alg: Type.Literal('Ed25519'),
        publicKey: Type.String({ description: 'The raw 32-byte Ed25519 public key, base64url' }),
      }),
      { description: 'The key that signs now first; older keys stay listed until they retire' },
    ),
  }),
);

export const BootloaderUnlockBody = named(
  'BootloaderUnlockBody',
  Strict({
    serial: SerialSchema,
  }),
);

export const BootloaderUnlockSchema = named(
  'BootloaderUnlock',
  Type.Object({
    statement: Type.String({
      description:
        'base64url of the JSON {serial, deviceId, accountHash, issuedAt, expiresAt, kid}; these exact bytes are signed',
    }),
    signature: Type.String({
      description: "base64url Ed25519 signature of the statement's bytes, by the published key named kid",
    }),
    expiresAt: TimeSchema,
  }),
);
