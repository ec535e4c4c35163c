import { lacksOnlyCaptcha } from '../captcha/routes.js';
import { originOf } from '../http/origin.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { iso } from '../clock.js';
import {
  CancelRecoveryBody,
  CompleteRecoveryBody,
  RecoveryAcceptedSchema,
  RecoveryBody,
  RecoveryCancelledSchema,
  RecoveryWaitingSchema,
} from './schemas.js';
import type { RecoveryService } from './service.js';

/** Password recovery: ask for a code (behind a captcha), then set a new password with it. */
export function registerRecoveryRoutes(app: HttpServer, deps: { recovery: RecoveryService }) {
  const { recovery } = deps;

  app.post(
    '/v1/recovery',
    {
      schema: {
        tags: ['recovery'],
        operationId: 'requestRecovery',
        summary:
          'Forgot password: sends a code by email or SMS. The same answer whether or not the login has an account',
        body: RecoveryBody,
        response: { 202: RecoveryAcceptedSchema },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      // The captcha is a required field (API.md), but a request that lacks only it is answered like one
      // with a wrong captcha, captcha_required, which is what tells a client to show the widget.
      if (request.validationError && !lacksOnlyCaptcha(request.validationError)) throw request.validationError;
      const { login, channel, captcha } = request.body;
      await recovery.request(
        { login, channel, captcha: request.validationError ? undefined : captcha },
        originOf(request),
      );
      return reply.code(202).send({});
    },
  );

  app.post(
    '/v1/recovery/complete',
    {
      schema: {
        tags: ['recovery'],
        operationId: 'completeRecovery',
        summary:
          'Sets a new password with the code; every web and API session of the account ends, data and devices stay. With two-step verification, also a second factor, or waitingPeriod: true (202, the password waits)',
        body: CompleteRecoveryBody,
        response: { 204: NoContent, 202: RecoveryWaitingSchema },
      },
      // two_step.required: the account has a second factor, and neither it nor waitingPeriod was sent.
      config: { problems: [403] },
    },
    async (request, reply) => {
      const waiting = await recovery.complete(request.body, originOf(request));
      if (waiting) return reply.code(202).send({ completesAt: iso(waiting.completesAt) });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/recovery/cancel',
    {
      schema: {
        tags: ['recovery'],
        operationId: 'cancelWaitingRecovery',
        summary:
          'Cancels a recovery waiting out its period, with the token of the link in its notice (no session needed)',
        body: CancelRecoveryBody,
        response: { 200: RecoveryCancelledSchema },
      },
    },
    async (request) => {
      await recovery.cancelWaiting(request.body.token, originOf(request));
      return { cancelled: true as const };
    },
  );
}
