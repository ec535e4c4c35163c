import type { FastifySchemaValidationError } from 'fastify';
import { Type } from 'typebox';
import type { HttpServer } from '../http/server.js';
import type { CaptchaService } from './service.js';

/** The solved captcha as a request field: altcha-lib's payload, base64 JSON, as the ALTCHA widget submits it. */
export const CaptchaPayloadSchema = Type.String({
  maxLength: 4096,
  description: 'A solved captcha from GET /v1/captcha: the ALTCHA widget\'s payload (base64 JSON). Each is accepted once.',
});

/**
 * Whether a request's validation failed only for want of the captcha field. Routes whose captcha is a
 * required field (API.md) answer such a request like one with a wrong captcha, captcha_required, which
 * is what tells a client to show the widget.
 */
export function lacksOnlyCaptcha(error: { validation?: FastifySchemaValidationError[] }): boolean {
  const issues = error.validation ?? [];
  return issues.length === 1 && issues[0]!.keyword === 'required' && issues[0]!.params.missingProperty === 'captcha';
}

// Every field altcha-lib signs must be served as is, or the signature no longer matches.
const ChallengeSchema = Type.Object(
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
);

/** The captcha challenge the ALTCHA widget fetches (its `challenge` URL). */
export function registerCaptchaRoutes(app: HttpServer, deps: { captcha: CaptchaService }) {
  const { captcha } = deps;

  app.get('/v1/captcha', {
    schema: {
      tags: ['captcha'],
      summary: 'A self-hosted ALTCHA challenge, valid 10 minutes; solve it and send the payload as `captcha`',
      response: { 200: ChallengeSchema },
    },
  }, async (_request, reply) => {
    // A challenge is single-use: no cache may hand the same one to two people.
    reply.header('cache-control', 'no-store');
    return captcha.challenge();
  });
}
