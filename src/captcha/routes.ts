import type { FastifySchemaValidationError } from 'fastify';
import type { HttpServer } from '../http/server.js';
import { ChallengeSchema } from './schemas.js';
import type { CaptchaService } from './service.js';

/**
 * Whether a request's validation failed only for want of the captcha field. Routes whose captcha is a
 * required field (API.md) answer such a request like one with a wrong captcha, captcha_required, which
 * is what tells a client to show the widget.
 */
export function lacksOnlyCaptcha(error: { validation?: FastifySchemaValidationError[] }): boolean {
  const issues = error.validation ?? [];
  return issues.length === 1 && issues[0]!.keyword === 'required' && issues[0]!.params.missingProperty === 'captcha';
}

/** The captcha challenge the ALTCHA widget fetches (its `challenge` URL). */
export function registerCaptchaRoutes(app: HttpServer, deps: { captcha: CaptchaService }) {
  const { captcha } = deps;

  app.get(
    '/v1/captcha',
    {
      schema: {
        tags: ['captcha'],
        operationId: 'getCaptchaChallenge',
        summary: 'A self-hosted ALTCHA challenge, valid 10 minutes; solve it and send the payload as `captcha`',
        response: { 200: ChallengeSchema },
      },
    },
    async (_request, reply) => {
      // A challenge is single-use: no cache may hand the same one to two people.
      reply.header('cache-control', 'no-store');
      return captcha.challenge();
    },
  );
}
