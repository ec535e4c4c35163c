import { Type } from 'typebox';
import { CaptchaPayloadSchema, lacksOnlyCaptcha } from '../captcha/routes.js';
import { originOf } from '../http/origin.js';
import { ChannelSchema, CodeSchema, NoContent, PasswordSchema, Strict } from '../http/schemas.js';
import type { HttpServer } from '../http/server.js';
import { SecondFactorInputSchema } from '../two-step/schemas.js';
import type { RecoveryService } from './service.js';

const LoginSchema = Type.String({ minLength: 1, maxLength: 254, description: 'The email, phone number or account id' });

/** Password recovery: ask for a code (behind a captcha), then set a new password with it. */
export function registerRecoveryRoutes(app: HttpServer, deps: { recovery: RecoveryService }) {
  const { recovery } = deps;

  app.post('/v1/recovery', {
    schema: {
      tags: ['recovery'],
      summary: 'Forgot password: sends a code by email or SMS. The same answer whether or not the login has an account',
      body: Strict({ login: LoginSchema, channel: ChannelSchema, captcha: CaptchaPayloadSchema }),
      response: { 202: Type.Object({}, { description: 'Accepted: a code is on its way if the login has an account with that channel' }) },
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
      summary: 'Sets a new password with the code; every web and API session of the account ends, data and devices stay',
      body: Strict({
        login: LoginSchema,
        code: CodeSchema,
        newPassword: PasswordSchema,
        secondFactor: Type.Optional(SecondFactorInputSchema),
      }),
      response: { 204: NoContent },
    },
  }, async (request, reply) => {
    await recovery.complete(request.body, originOf(request));
    return reply.code(204).send(null);
  });
}
