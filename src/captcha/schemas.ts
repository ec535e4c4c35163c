import { Type } from 'typebox';
import { named } from '../http/openapi.js';

/** The solved captcha as a request field: altcha-lib's payload, base64 JSON, as the ALTCHA widget submits it. */
export const CaptchaPayloadSchema = Type.String({
  maxLength: 4096,
  description:
    "A solved captcha from GET /v1/captcha: the ALTCHA widget's payload (base64 JSON). Each is accepted once.",
});

// Every field altcha-lib signs must be served as is, or the signature no longer matches.
export const ChallengeSchema = named(
  'CaptchaChallenge',
  Type.Object(
    {
      parameters: Type.Object({
        algorithm: Type.String(),
        cost: Type.Integer(),
        expiresAt: Type.Integer({ description: 'Seconds since the Unix epoch' }),
        keyLength: Type.Integer(),
        keyPrefix: Type.String(),
        keySignature: Type.Optional(Type.String()),
        nonce: Type.String(),
        salt: Type.String(),
      }),
      signature: Type.String(),
    },
    { description: 'An ALTCHA proof-of-work challenge (PoW v2), exactly as altcha-lib creates it' },
  ),
);
