import { Type } from 'typebox';
import { named } from '../http/openapi.js';
import { Strict, TimeSchema } from '../http/schemas.js';
import { SCOPES } from './scopes.js';

const ScopeSchema = Type.Enum([...SCOPES], { description: `A scope: ${SCOPES.join(', ')}` });
const UriList = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 10, uniqueItems: true, description });
export const ClientIdParams = Strict({
  clientId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

const AppFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  redirectUris: Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
    minItems: 1,
    maxItems: 10,
    uniqueItems: true,
    description:
      'web and spa: https URLs (http only for localhost); native (RFC 8252): a private-use scheme such as com.example.app:/cb, a claimed https URL, or http://127.0.0.1/cb (any port at use)',
  }),
  postLogoutRedirectUris: UriList('Where RP-initiated logout may send the browser back to'),
  scopes: Type.Array(ScopeSchema, {
    minItems: 1,
    maxItems: SCOPES.length,
    uniqueItems: true,
    description: 'What the app may ask for; openid is required',
  }),
  firstParty: Type.Boolean({ description: "The maker's own app: no consent page" }),
  backchannelLogoutUri: Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()], {
    description:
      'OpenID back-channel logout: where the app is told that a person signed out, revoked it, or deleted their account',
  }),
  logoUri: Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()], {
    description: "The app's logo: an https URL of an image (the staff console shows it); null removes it",
  }),
  requireDpop: Type.Boolean({ description: 'The app must bind its tokens to a key (DPoP, RFC 9449)' }),
  requirePar: Type.Boolean({ description: 'The app must push its authorization requests first (PAR, RFC 9126)' }),
};
const AppType = Type.Enum(['web', 'native', 'spa'], {
  description: 'web: confidential (client_secret_basic); native, spa: public (no secret, PKCE)',
});
export const AppView = named(
  'App',
  Type.Object({
    clientId: Type.String(),
    ...AppFields,
    type: AppType,
    backchannelLogoutUri: Type.Union([Type.String(), Type.Null()]),
    logoUri: Type.Union([Type.String(), Type.Null()]),
    disabled: Type.Boolean(),
    createdAt: TimeSchema,
    lastUsedAt: Type.Union([TimeSchema, Type.Null()]),
    accounts: Type.Optional(Type.Integer({ description: 'How many accounts let the app in' })),
  }),
);

export const CreateAppBody = named(
  'CreateAppBody',
  Strict({
    name: AppFields.name,
    type: Type.Optional(AppType),
    redirectUris: AppFields.redirectUris,
    postLogoutRedirectUris: Type.Optional(AppFields.postLogoutRedirectUris),
    scopes: AppFields.scopes,
    firstParty: Type.Optional(AppFields.firstParty),
    backchannelLogoutUri: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'OpenID back-channel logout: where the app is told that a person signed out, revoked it, or deleted their account',
      }),
    ),
    logoUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    requireDpop: Type.Optional(AppFields.requireDpop),
    requirePar: Type.Optional(AppFields.requirePar),
  }),
);

export const AppCreatedSchema = named(
  'AppCreated',
  Type.Object({
    ...AppView.properties,
    clientSecret: Type.Union([Type.String(), Type.Null()], {
      description: 'Shown once; null for native and spa apps, which are public clients',
    }),
  }),
);

export const AppListSchema = named('AppList', Type.Object({ apps: Type.Array(AppView) }));

export const UpdateAppBody = named(
  'UpdateAppBody',
  Strict({
    name: Type.Optional(AppFields.name),
    redirectUris: Type.Optional(AppFields.redirectUris),
    postLogoutRedirectUris: Type.Optional(AppFields.postLogoutRedirectUris),
    scopes: Type.Optional(AppFields.scopes),
    firstParty: Type.Optional(AppFields.firstParty),
    backchannelLogoutUri: Type.Optional(AppFields.backchannelLogoutUri),
    logoUri: Type.Optional(AppFields.logoUri),
    requireDpop: Type.Optional(AppFields.requireDpop),
    requirePar: Type.Optional(AppFields.requirePar),
    disabled: Type.Optional(Type.Boolean({ description: 'A disabled app signs nobody in and gets no token' })),
  }),
);

export const ClientSecretSchema = named('ClientSecret', Type.Object({ clientSecret: Type.String() }));

export const AppGrantSchema = named(
  'AppGrant',
  Type.Object(
    {
      clientId: Type.String(),
      name: Type.String(),
      scopes: Type.Array(Type.String()),
      grantedAt: TimeSchema,
      lastUsedAt: Type.Union([TimeSchema, Type.Null()], {
        description:
          'When the app last got a token for this account (sign-in or refresh); null when never since the grant',
      }),
    },
    { description: 'An app the account let in, and what it may do' },
  ),
);

export const AppGrantListSchema = named('AppGrantList', Type.Object({ apps: Type.Array(AppGrantSchema) }));

/** The discovery document (OpenID Connect Discovery 1.0); oidc-provider writes it, with more than these. */
export const OpenIdConfigurationSchema = named(
  'OpenIdConfiguration',
  Type.Object(
    {
      issuer: Type.String(),
      authorization_endpoint: Type.String(),
      token_endpoint: Type.String(),
      jwks_uri: Type.String(),
      response_types_supported: Type.Array(Type.String()),
      subject_types_supported: Type.Array(Type.String()),
      id_token_signing_alg_values_supported: Type.Array(Type.String()),
    },
    { additionalProperties: true },
  ),
);
