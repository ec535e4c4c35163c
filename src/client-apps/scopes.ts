import type { Locale } from '../messaging/templates.js';

/** The OpenID scopes an app may be registered for, and the claims each one releases. */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'locale'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  offline_access: [],
} as const;
export type OidcScope = keyof typeof SCOPE_CLAIMS;
export const OIDC_SCOPES = Object.keys(SCOPE_CLAIMS) as OidcScope[];

/** Scopes of Lanyard's own API (API.md): an app's access token reaches the routes that declare one it holds. */
export const API_SCOPES = [
  'devices:read',
  'devices:write',
  'cloud.photos:read',
  'cloud.contacts:read',
  'credits:spend',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export type Scope = OidcScope | ApiScope;
export const SCOPES: Scope[] = [...OIDC_SCOPES, ...API_SCOPES];

/** The resource indicator (RFC 8707) of Lanyard's own API, under the public base URL. */
export const apiResourceOf = (baseUrl: string) => `${baseUrl.replace(/\/$/, '')}/v1`;

/** What each scope lets an app do, as the consent page says it, in every language of the messages. */
export const SCOPE_TEXT: Record<Scope, Record<Locale, string>> = {
  openid: { en: 'Know who you are (your Lanyard account id)', es: 'Saber quién eres (el id de tu cuenta Lanyard)' },
  profile: { en: 'See your name and language', es: 'Ver tu nombre e idioma' },
  email: { en: 'See your email address', es: 'Ver tu dirección de correo' },
  phone: { en: 'See your phone number', es: 'Ver tu número de teléfono' },
  offline_access: {
    en: 'Keep access while you are away (until you revoke it)',
    es: 'Mantener el acceso cuando no estés (hasta que lo revoques)',
  },
  'devices:read': { en: 'See your devices and where they are', es: 'Ver tus dispositivos y dónde están' },
  'devices:write': {
    en: 'Send commands to your devices (ring, locate)',
    es: 'Enviar órdenes a tus dispositivos (sonar, localizar)',
  },
  'cloud.photos:read': { en: 'See the photos in your cloud', es: 'Ver las fotos de tu nube' },
  'cloud.contacts:read': { en: 'See the contacts in your cloud', es: 'Ver los contactos de tu nube' },
  'credits:spend': { en: 'Spend your credits', es: 'Gastar tus créditos' },
};

export const isScope = (value: string): value is Scope => value in SCOPE_TEXT;
