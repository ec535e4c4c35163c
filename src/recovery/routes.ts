import { lacksOnlyCaptcha } from '../captcha/routes.js';
import { originOf } from '../http/origin.js';
import { NoContent } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { CompleteRecoveryBody, RecoveryAcceptedSchema, RecoveryBody } from './schemas.js';
import type { RecoveryService } from './service.js';

/** Password recovery: ask for a code (behind a captcha), then set a new password with it. */
export function registerRecoveryRoutes(app: HttpServer, deps: { recovery: RecoveryService }) {
  const { recovery } = deps;

  app.post('/v1/recovery', {
    schema: {
      tags: ['recovery'],
      operationId: 'requestRecovery',
      summary: 'Forgot password: sends a code by email or SMS. The same answer whether or not the login has an account',
      body: RecoveryBody,
      response: { 202: RecoveryAcceptedSchema },
    },
    attachValidation: true,
  }, async (request, reply) => {
    // The captcha is a required field (API.md), but a request that lacks only it is answered like one
    // with a wrong captcha, captcha_required, which is what tells a client to show the widget.
    if (request.validationError && !lacksOnlyCaptcha(request.validationError)) throw request.validationError;
    const { login, channel, captcha } = request.body;
    await recovery.request({ login, channel, captcha: request.validationError ? undefined : captcha }, originOf(request));
    return reply.code(202).send({});
  });

  app.post('/v1/recovery/complete', {
    schema: {
      tags: ['recovery'],
      operationId: 'completeRecovery',
      summary: 'Sets a new password with the code; every web and API session of the account ends, data and devices stay',
      body: CompleteRecoveryBody,
      response: { 204: NoContent },
    },
  }, async (request, reply) => {
    await recovery.complete(request.body, originOf(request));
    return reply.code(204).send(null);
  });
}
