import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { Strict, TimeSchema } from '../http/schemas.js';
import { SCOPES } from './oidc.js';

const ScopeSchema = Type.Enum([...SCOPES], { description: `A scope: ${SCOPES.join(', ')}` });

export const CreateAppBody = named('CreateAppBody', Strict({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 10, uniqueItems: true, description: 'https URLs (http only for localhost)' }),
  scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true, description: 'What the app may ask for; openid is required' }),
  backchannelLogoutUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'OpenID back-channel logout: where the app is told that a person it signed in deleted their account' })),
}));

export const AppCreatedSchema = named('AppCreated', Type.Object({
  clientId: Type.String(),
  clientSecret: Type.String({ description: 'Shown once; the app authenticates with it at the token endpoint (client_secret_basic)' }),
  name: Type.String(),
  redirectUris: Type.Array(Type.String()),
  scopes: Type.Array(ScopeSchema),
  backchannelLogoutUri: Type.Union([Type.String(), Type.Null()]),
  createdAt: TimeSchema,
}));

export const AppGrantSchema = named('AppGrant', Type.Object(
  { clientId: Type.String(), name: Type.String(), scopes: Type.Array(Type.String()), grantedAt: TimeSchema },
  { description: 'An app the account let in, and what it may do' },
));

export const AppGrantListSchema = named('AppGrantList', Type.Object({ apps: Type.Array(AppGrantSchema) }));

export const ClientIdParams = Strict({ clientId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
