import { Type } from 'typebox';
import { SessionKindInput } from '../accounts/schemas.js';
import { named } from '../http/openapi.js';
import { Strict, TimeSchema } from '../http/schemas.js';

export const SecondFactorMethodSchema = Type.Union(
  [Type.Literal('totp'), Type.Literal('passkey'), Type.Literal('recovery_code')],
  {
    description:
      'totp: a code of the authenticator app; passkey: a WebAuthn assertion; recovery_code: one of the ten recovery codes',
  },
);

/** A 6-digit TOTP code, or a recovery code (xxxxx-xxxxx, case and dashes ignored). */
export const FactorCodeSchema = Type.String({
  minLength: 6,
  maxLength: 32,
  pattern: '^[A-Za-z0-9 -]+$',
  description: 'A 6-digit authenticator code, or a recovery code',
});

/** A WebAuthn credential as the browser's PublicKeyCredential.toJSON() gives it; @simplewebauthn checks its parts. */
export const WebAuthnResponseSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Record(Type.String(), Type.Unknown()),
    clientExtensionResults: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { description: 'The PublicKeyCredential, as JSON (base64url fields)' },
);

/** The fields that carry one second factor, in any body that takes one. */
export const SecondFactorFields = {
  method: SecondFactorMethodSchema,
  code: Type.Optional(FactorCodeSchema),
  response: Type.Optional(WebAuthnResponseSchema),
};

export const SecondFactorInputSchema = Strict(
  SecondFactorFields,
  'A second factor: method, with code (totp, recovery_code) or response (passkey)',
);

export const SecondFactorChallengeSchema = named(
  'SecondFactorChallenge',
  Type.Object(
    {
      secondFactor: Type.Object({
        challengeId: Type.String({
          description: 'Single-use; send it to POST /v1/sessions/second-factor within 5 minutes',
        }),
        methods: Type.Array(SecondFactorMethodSchema),
        expiresAt: TimeSchema,
        passkeyOptions: Type.Optional(Type.Unknown({ description: 'WebAuthn request options for the passkey method' })),
      }),
    },
    { description: 'The password was right; the account asks its second factor. No session yet' },
  ),
);

export const SecurityViewSchema = named(
  'SecurityView',
  Type.Object({
    password: Type.Object({ changedAt: TimeSchema }),
    totp: Type.Object({ enabled: Type.Boolean() }),
    passkeys: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        createdAt: TimeSchema,
        lastUsedAt: Type.Union([TimeSchema, Type.Null()]),
      }),
    ),
    recoveryCodes: Type.Object({
      remaining: Type.Integer({ minimum: 0 }),
      low: Type.Boolean({ description: 'Two or fewer left: make a new set (POST /v1/me/recovery-codes)' }),
    }),
    secondFactorRequired: Type.Boolean({ description: 'Whether sign-in asks a second factor' }),
  }),
);

export const TotpEnrolmentSchema = named(
  'TotpEnrolment',
  Type.Object({
    secret: Type.String({ description: 'Base32 secret, for typing into an authenticator app' }),
    otpauthUri: Type.String(),
    qrSvg: Type.String({ description: 'The otpauth URI as a QR code (SVG)' }),
  }),
);

export const RecoveryCodesSchema = Type.Array(Type.String(), {
  minItems: 10,
  maxItems: 10,
  description: 'Shown once; each works once',
});

export const PasskeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: TimeSchema,
  lastUsedAt: Type.Union([TimeSchema, Type.Null()]),
});

/** WebAuthn options (creation or request), as @simplewebauthn/server makes them for navigator.credentials. */
export const WebAuthnOptionsSchema = named(
  'WebAuthnOptions',
  Type.Record(Type.String(), Type.Unknown(), {
    description: 'Pass to navigator.credentials (after decoding the base64url fields)',
  }),
);

export const ConfirmTotpBody = named(
  'ConfirmTotpBody',
  Strict({ code: Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code the app shows' }) }),
);

export const TotpConfirmedSchema = named(
  'TotpConfirmed',
  Type.Object({ enabled: Type.Literal(true), recoveryCodes: Type.Optional(RecoveryCodesSchema) }),
);

export const AddPasskeyBody = named(
  'AddPasskeyBody',
  Strict({
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\x00-\\x1f\\x7f]+$' }),
    response: WebAuthnResponseSchema,
  }),
);

export const PasskeyAddedSchema = named(
  'PasskeyAdded',
  Type.Object({ passkey: PasskeySchema, recoveryCodes: Type.Optional(RecoveryCodesSchema) }),
);

export const RecoveryCodeSetSchema = named('RecoveryCodeSet', Type.Object({ codes: RecoveryCodesSchema }));

export const LockWithLinkBody = named(
  'LockWithLinkBody',
  Strict({
    token: Type.String({
      minLength: 16,
      maxLength: 256,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'The token of the link in a new sign-in or address-changed notice',
    }),
  }),
);

export const AccountLockedSchema = named('AccountLocked', Type.Object({ lockedAt: TimeSchema }));

export const SecondFactorBody = named(
  'SecondFactorBody',
  Strict({ challengeId: Type.String({ minLength: 16, maxLength: 128 }), ...SecondFactorFields }),
);

export const PasskeySignInBody = named(
  'PasskeySignInBody',
  Strict({ response: WebAuthnResponseSchema, kind: Type.Optional(SessionKindInput) }),
);
