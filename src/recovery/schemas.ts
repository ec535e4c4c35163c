import { Type } from 'typebox';
import { CaptchaPayloadSchema } from '../captcha/schemas.js';
import { named } from '../http/openapi.js';
import { SecondFactorInputSchema } from '../two-step/schemas.js';
import { AcceptedSchema, ChannelSchema, CodeSchema, PasswordSchema, Strict } from '../http/schemas.js';

const LoginSchema = Type.String({ minLength: 1, maxLength: 254, description: 'The email, phone number or account id' });

export const RecoveryBody = named(
  'RecoveryBody',
  Strict({ login: LoginSchema, channel: ChannelSchema, captcha: CaptchaPayloadSchema }),
);

export const RecoveryAcceptedSchema = {
  ...AcceptedSchema,
  description: 'Accepted: a code is on its way if the login has an account with that channel',
};

export const CompleteRecoveryBody = named(
  'CompleteRecoveryBody',
  Strict({
    login: LoginSchema,
    code: CodeSchema,
    newPassword: PasswordSchema,
    secondFactor: Type.Optional(SecondFactorInputSchema),
    waitingPeriod: Type.Optional(
      Type.Boolean({
        description:
          'With two-step verification enrolled and no factor at hand: true sets the new password after the waiting period (LANYARD_RECOVERY_WAIT_H), telling every address with a cancel link; two-step verification is then turned off',
      }),
    ),
  }),
);

export const RecoveryWaitingSchema = named(
  'RecoveryWaiting',
  Type.Object(
    {
      completesAt: Type.String({
        format: 'date-time',
        description: 'When the new password takes effect unless the recovery is cancelled',
      }),
    },
    { additionalProperties: false },
  ),
);

export const CancelRecoveryBody = named(
  'CancelRecoveryBody',
  Strict({
    token: Type.String({ minLength: 1, maxLength: 200, description: 'The token of the cancel link in the notice' }),
  }),
);

export const RecoveryCancelledSchema = named(
  'RecoveryCancelled',
  Type.Object({ cancelled: Type.Literal(true) }, { additionalProperties: false }),
);
