import { Type, type TSchema } from 'typebox';
import { named } from './openapi.js';

// Shared pieces of request and response schemas; each feature composes its own from these.

export const EmailSchema = Type.String({ minLength: 3, maxLength: 254, description: 'An email address' });
export const PhoneSchema = Type.String({
  minLength: 4,
  maxLength: 32,
  description: 'A phone number in international form, e.g. +34 612 345 678',
});
export const CodeSchema = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit verification code' });
export const PasswordSchema = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: '8 to 128 characters, not a common password',
});
export const IdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\x00-\\x1f\\x7f]+$' });
export const TimeSchema = Type.String({ format: 'date-time', description: 'ISO 8601, UTC' });
export const ChannelSchema = Type.Union([Type.Literal('email'), Type.Literal('sms')]);

/** An object schema that refuses fields it does not name. */
export function Strict<T extends Record<string, TSchema>>(properties: T, description?: string) {
  return Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
}

export const OpenApiDocumentSchema = named(
  'OpenApiDocument',
  Type.Object({}, { additionalProperties: true, description: 'An OpenAPI 3.1 document' }),
);

/** The empty answer of an accepted request whose result arrives by other means (a code on its way). */
export const AcceptedSchema = named('Accepted', Type.Object({}, { description: 'Accepted' }));

export const NoContent = Type.Null({ description: 'No content' });

/** A list's ids of rows that could not be read (a damaged row): the rest of the list is answered all the same. */
export const UnreadableSchema = Type.Array(Type.String(), {
  description:
    'Ids of listed rows whose sealed fields could not be opened (a damaged row); they are listed with those fields empty',
});

/** The ids of the items a service marked unreadable. */
export function unreadableIds(items: ReadonlyArray<{ id: string; unreadable?: boolean }>): string[] {
  return items.filter((item) => item.unreadable).map((item) => item.id);
}
