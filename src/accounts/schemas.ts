import { Type } from 'typebox';
import { EmailSchema, PhoneSchema, Strict, TimeSchema } from '../http/schemas.js';

export const ProfileSchema = Type.Object(
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
);

export const NameSchema = Type.String({ maxLength: 100 });
export const LocaleSchema = Type.Union([Type.Literal('en'), Type.Literal('es')], { description: 'Language of messages; from Accept-Language when absent' });
export const SessionKindInput = Type.Union([Type.Literal('web'), Type.Literal('api')], {
  description: 'web sets the HttpOnly session cookie; the default is web for browsers (Sec-Fetch-Mode present), api otherwise',
});

/** Exactly one of email or phone; the service checks that one, and only one, is present. */
export const addressFields = { email: Type.Optional(EmailSchema), phone: Type.Optional(PhoneSchema) };

export const SessionIssuedSchema = Type.Object({
  account: ProfileSchema,
  token: Type.Optional(Type.String({ description: 'Bearer token; shown once. Absent for a web session, whose token is only in the HttpOnly session cookie' })),
  expiresAt: TimeSchema,
});
