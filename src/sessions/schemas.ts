import { Type } from 'typebox';
import { SessionKindInput } from '../accounts/schemas.js';
import { CaptchaPayloadSchema } from '../captcha/schemas.js';
import { named } from '../http/openapi.js';
import { PasswordSchema, Strict, TimeSchema, UnreadableSchema } from '../http/schemas.js';
import { FactorCodeSchema, SecondFactorMethodSchema, WebAuthnResponseSchema } from '../two-step/schemas.js';

export const SessionSchema = named(
  'Session',
  Type.Object({
    id: Type.String(),
    kind: Type.Union([Type.Literal('web'), Type.Literal('api'), Type.Literal('device')]),
    current: Type.Boolean(),
    createdAt: TimeSchema,
    lastUsedAt: TimeSchema,
    expiresAt: TimeSchema,
    ip: Type.String(),
    client: Type.String(),
  }),
);

export const SignInBody = named(
  'SignInBody',
  Strict({
    login: Type.String({ minLength: 1, maxLength: 254 }),
    password: PasswordSchema,
    kind: Type.Optional(SessionKindInput),
    captcha: Type.Optional(CaptchaPayloadSchema),
  }),
);

export const CurrentSessionSchema = named(
  'CurrentSession',
  Type.Object({
    ...SessionSchema.properties,
    accountId: Type.String(),
    fresh: Type.Boolean({ description: 'Whether the password was entered in the last 10 minutes' }),
    freshUntil: TimeSchema,
    csrfToken: Type.String({
      description: 'Send as X-CSRF-Token with cookie-authenticated POST, PUT, PATCH and DELETE',
    }),
  }),
);

export const SessionListSchema = named(
  'SessionList',
  Type.Object({ sessions: Type.Array(SessionSchema), unreadable: UnreadableSchema }),
);

// The password, or a second factor (with a second factor enrolled, the factor is what counts).
export const ReauthBody = named(
  'ReauthBody',
  Strict({
    password: Type.Optional(PasswordSchema),
    method: Type.Optional(SecondFactorMethodSchema),
    code: Type.Optional(FactorCodeSchema),
    response: Type.Optional(WebAuthnResponseSchema),
  }),
);

export const ReauthenticatedSchema = named(
  'Reauthenticated',
  Type.Object({
    token: Type.Optional(
      Type.String({ description: 'The new bearer token; a cookie session gets a new cookie instead' }),
    ),
    expiresAt: TimeSchema,
    freshUntil: TimeSchema,
    csrfToken: Type.Optional(Type.String({ description: 'Cookie sessions: the new CSRF token, for the new cookie' })),
  }),
);
