import { Type } from 'typebox';
import { CaptchaPayloadSchema } from '../captcha/schemas.js';
import { named } from '../http/openapi.js';
import { SecondFactorInputSchema } from '../two-step/schemas.js';
import { AcceptedSchema, ChannelSchema, CodeSchema, PasswordSchema, Strict } from '../http/schemas.js';

const LoginSchema = Type.String({ minLength: 1, maxLength: 254, description: 'The email, phone number or account id' });

export const RecoveryBody = named('RecoveryBody', Strict({ login: LoginSchema, channel: ChannelSchema, captcha: CaptchaPayloadSchema }));

export const RecoveryAcceptedSchema = { ...AcceptedSchema, description: 'Accepted: a code is on its way if the login has an account with that channel' };

export const CompleteRecoveryBody = named('CompleteRecoveryBody', Strict({
  login: LoginSchema,
  code: CodeSchema,
  newPassword: PasswordSchema,
  secondFactor: Type.Optional(SecondFactorInputSchema),
}));
