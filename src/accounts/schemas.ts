import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import {
  AcceptedSchema,
  CodeSchema,
  EmailSchema,
  PasswordSchema,
  PhoneSchema,
  Strict,
  TimeSchema,
  UnreadableSchema,
} from '../http/schemas.js';

export const ProfileSchema = named(
  'Account',
  Type.Object(
    {
      id: Type.String(),
      email: Type.Union([Type.String(), Type.Null()]),
      phone: Type.Union([Type.String(), Type.Null()]),
      name: Type.Union([Type.String(), Type.Null()]),
      locale: Type.String(),
      role: Type.String({ description: 'user, support or admin' }),
      createdAt: TimeSchema,
    },
    { description: 'The account profile' },
  ),
);

export const NameSchema = Type.String({ maxLength: 100 });
export const LocaleSchema = Type.Union([Type.Literal('en'), Type.Literal('es')], {
  description: 'Language of messages; from Accept-Language when absent',
});
export const SessionKindInput = Type.Union([Type.Literal('web'), Type.Literal('api')], {
  description:
    'web sets the HttpOnly session cookie; the default is web for browsers (Sec-Fetch-Mode present), api otherwise',
});

/** Exactly one of email or phone; the service checks that one, and only one, is present. */
export const addressFields = { email: Type.Optional(EmailSchema), phone: Type.Optional(PhoneSchema) };

export const SessionIssuedSchema = named(
  'SessionIssued',
  Type.Object({
    account: ProfileSchema,
    token: Type.Optional(
      Type.String({
        description:
          'Bearer token; shown once. Absent for a web session, whose token is only in the HttpOnly session cookie',
      }),
    ),
    expiresAt: TimeSchema,
  }),
);

/** The answer to a request for a code: the same whether or not the address is known. */
export const CodeSentSchema = {
  ...AcceptedSchema,
  description: 'Accepted: a code is on its way (the same answer whether or not the address is known)',
};

export const SignupBody = named('SignupBody', Strict({ ...addressFields, locale: Type.Optional(LocaleSchema) }));

export const CompleteSignupBody = named(
  'CompleteSignupBody',
  Strict({
    ...addressFields,
    code: CodeSchema,
    password: PasswordSchema,
    name: Type.Optional(NameSchema),
    locale: Type.Optional(LocaleSchema),
    kind: Type.Optional(SessionKindInput),
  }),
);

export const UpdateMeBody = named('UpdateMeBody', Strict({ name: Type.Union([NameSchema, Type.Null()]) }));

/** Asking to add or change an address: a code goes to the new one. */
export const AddressChangeBodies = {
  email: named('EmailChangeBody', Strict({ email: EmailSchema })),
  phone: named('PhoneChangeBody', Strict({ phone: PhoneSchema })),
};

/** Confirming the new address with its code. */
export const AddressConfirmBodies = {
  email: named('ConfirmEmailChangeBody', Strict({ email: EmailSchema, code: CodeSchema })),
  phone: named('ConfirmPhoneChangeBody', Strict({ phone: PhoneSchema, code: CodeSchema })),
};

export const ChangePasswordBody = named(
  'ChangePasswordBody',
  Strict({ currentPassword: PasswordSchema, newPassword: PasswordSchema }),
);

export const EventsQuery = Strict({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })) });

export const SecurityEventSchema = named(
  'SecurityEvent',
  Type.Object({
    id: Type.String(),
    type: Type.String(),
    at: Type.String(),
    ip: Type.String(),
    client: Type.String(),
    reason: Type.Optional(
      Type.String({
        description:
          'Why Lanyard staff looked at or acted on the account (staff_access, account.suspended, account.restored)',
      }),
    ),
  }),
);

export const SecurityEventListSchema = named(
  'SecurityEventList',
  Type.Object({ events: Type.Array(SecurityEventSchema), unreadable: UnreadableSchema }),
);

export const UndoAddressChangeBody = named(
  'UndoAddressChangeBody',
  Strict({ token: Type.String({ minLength: 16, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+$' }) }),
);

export const AddressChangeUndoneSchema = named(
  'AddressChangeUndone',
  Type.Object({ status: Type.Literal('undone'), field: Type.Union([Type.Literal('email'), Type.Literal('phone')]) }),
);
