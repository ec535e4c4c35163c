import { cspHash } from '../http/headers.js';
import type { Locale } from '../messaging/templates.js';
import { escapeHtml } from './oidc.js';
import { SCOPE_TEXT, type Scope } from './scopes.js';

/** The provider pages' words, in every language of the messages. */
const TEXT = {
  en: {
    signIn: 'Sign in',
    signInTo: (app: string) => `Sign in to continue to ${app}`,
    signInAgain: (app: string) => `Enter your password again to continue to ${app}`,
    login: 'Email, phone or account id',
    password: 'Password',
    wrong: 'The login or password is wrong.',
    secondFactor: 'Second step',
    secondFactorCode: 'Code from your authenticator app or a recovery code',
    verify: 'Verify',
    wrongCode: 'The code is wrong.',
    allowAccess: 'Allow access',
    wants: (app: string) => `${app} wants to use your Lanyard account`,
    canDo: 'If you allow it, it can:',
    revokeLater: "You can revoke this at any time in your account's apps page.",
    appsPage: 'The apps with access to your account',
    allow: 'Allow',
    deny: 'Deny',
    expiredTitle: 'Sign-in expired',
    expired: 'This sign-in has expired',
    startAgain: 'Go back to the app and start again.',
    signOutTitle: 'Sign out',
    signOutOf: (app: string) => `Sign out of Lanyard${app ? ` and ${app}` : ''}?`,
    signOutExplain: 'This browser will no longer be signed in to your Lanyard account.',
    signOutYes: 'Yes, sign me out',
    signOutNo: 'No, stay signed in',
    signedOutTitle: 'Signed out',
    signedOut: 'You are signed out',
    signedOutText: 'You can close this page.',
    activateTitle: 'Connect a device',
    activate: 'Connect a device',
    activateText: 'Enter the code your device shows.',
    code: 'Code',
    continue: 'Continue',
    codeWrong: 'That code is wrong or has expired. Check the device and try again.',
    confirmTitle: 'Confirm the device',
    confirm: (app: string) => `Connect ${app} to your Lanyard account?`,
    confirmText: 'Only continue if your device shows this code:',
    cancel: 'Cancel',
    doneTitle: 'Device connected',
    done: (app: string) => `${app} is connected`,
    doneText: 'You can go back to your device.',
  },
  es: {
    signIn: 'Iniciar sesión',
    signInTo: (app: string) => `Inicia sesión para continuar en ${app}`,
    signInAgain: (app: string) => `Escribe otra vez tu contraseña para continuar en ${app}`,
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    wrong: 'El usuario o la contraseña no son correctos.',
    secondFactor: 'Segundo paso',
    secondFactorCode: 'Código de tu app de autenticación o un código de recuperación',
    verify: 'Verificar',
    wrongCode: 'El código no es correcto.',
    allowAccess: 'Permitir el acceso',
    wants: (app: string) => `${app} quiere usar tu cuenta Lanyard`,
    canDo: 'Si lo permites, podrá:',
    revokeLater: 'Puedes revocarlo cuando quieras en la página de apps de tu cuenta.',
    appsPage: 'Las apps con acceso a tu cuenta',
    allow: 'Permitir',
    deny: 'Denegar',
    expiredTitle: 'Inicio de sesión caducado',
    expired: 'Este inicio de sesión ha caducado',
    startAgain: 'Vuelve a la app y empieza de nuevo.',
    signOutTitle: 'Cerrar sesión',
    signOutOf: (app: string) => `¿Cerrar la sesión de Lanyard${app ? ` y de ${app}` : ''}?`,
    signOutExplain: 'Este navegador dejará de tener abierta tu cuenta Lanyard.',
    signOutYes: 'Sí, cerrar sesión',
    signOutNo: 'No, seguir con la sesión',
    signedOutTitle: 'Sesión cerrada',
    signedOut: 'Has cerrado la sesión',
    signedOutText: 'Puedes cerrar esta página.',
    activateTitle: 'Conectar un dispositivo',
    activate: 'Conectar un dispositivo',
    activateText: 'Escribe el código que muestra tu dispositivo.',
    code: 'Código',
    continue: 'Continuar',
    codeWrong: 'Ese código no es correcto o ha caducado. Mira el dispositivo y vuelve a intentarlo.',
    confirmTitle: 'Confirmar el dispositivo',
    confirm: (app: string) => `¿Conectar ${app} a tu cuenta Lanyard?`,
    confirmText: 'Continúa solo si tu dispositivo muestra este código:',
    cancel: 'Cancelar',
    doneTitle: 'Dispositivo conectado',
    done: (app: string) => `${app} está conectado`,
    doneText: 'Ya puedes volver a tu dispositivo.',
  },
} satisfies Record<Locale, unknown>;
export type PageText = (typeof TEXT)['en'];

/** The language of a page: the app's ui_locales first, then the browser's Accept-Language; English otherwise. */
export function localeOf(uiLocales: unknown, acceptLanguage: unknown): Locale {
  const wanted = [...String(uiLocales ?? '').split(' '), ...String(acceptLanguage ?? '').split(',').map((part) => part.split(';')[0]!.trim())];
  for (const tag of wanted) {
    const language = tag.toLowerCase().split('-')[0];
    if (language === 'es') return 'es';
    if (language === 'en') return 'en';
  }
  return 'en';
}

export const textOf = (locale: Locale): PageText => TEXT[locale];

const PAGE_STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin:1rem .5rem 0 0;padding:.55rem 1.1rem;font:inherit;border-radius:.4rem;border:1px solid #555;background:#fff;cursor:pointer}
button.primary{background:#1f5fd6;color:#fff;border-color:#1f5fd6}.error{color:#b00020}li{margin:.3rem 0}
code.user-code{font-size:1.6rem;letter-spacing:.1em}`;

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The pages carry a form that must not be framed by another site (clickjacking). No form-action: the
  // consent form's answer ends in a redirect to the app, which form-action would block in browsers.
  'x-frame-options': 'DENY',
  // The one inline style is allowed by its hash, not 'unsafe-inline': markup injected into a page (an
  // app's name, say) cannot bring styles or scripts of its own.
  'content-security-policy': `default-src 'none'; style-src '${cspHash(PAGE_STYLE)}'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

/** A whole page in Lanyard's look. */
export function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Lanyard</title>
<style>${PAGE_STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

const alert = (error?: string) => (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '');

export function signInBody(t: PageText, action: string, appName: string, options: { again: boolean; login?: string; error?: string }): string {
  return `<h1>${escapeHtml(options.again ? t.signInAgain(appName) : t.signInTo(appName))}</h1>${alert(options.error)}
<form method="post" action="${escapeHtml(action)}">
<label for="login">${escapeHtml(t.login)}</label><input id="login" name="login" autocomplete="username" required value="${escapeHtml(options.login ?? '')}">
<label for="password">${escapeHtml(t.password)}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="primary" type="submit">${escapeHtml(t.signIn)}</button></form>`;
}

export function secondFactorBody(t: PageText, action: string, state: string, methods: string[], error?: string): string {
  return `<h1>${escapeHtml(t.secondFactor)}</h1>${alert(error)}
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="state" value="${escapeHtml(state)}">
<input type="hidden" name="method" value="${escapeHtml(methods.includes('totp') ? 'totp' : methods[0] ?? '')}">
<label for="code">${escapeHtml(t.secondFactorCode)}</label><input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required>
<button class="primary" type="submit">${escapeHtml(t.verify)}</button></form>`;
}

export function consentBody(t: PageText, locale: Locale, action: string, appName: string, scopes: Scope[]): string {
  return `<h1>${escapeHtml(t.wants(appName))}</h1><p>${escapeHtml(t.canDo)}</p>
<ul>${scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s][locale])}</li>`).join('')}</ul>
<p>${escapeHtml(t.revokeLater)} <a href="/apps" target="_blank" rel="noopener">${escapeHtml(t.appsPage)}</a></p>
<form method="post" action="${escapeHtml(action)}">
<button class="primary" type="submit" name="decision" value="allow">${escapeHtml(t.allow)}</button><button type="submit" name="decision" value="deny">${escapeHtml(t.deny)}</button></form>`;
}

export const expiredBody = (t: PageText) => `<h1>${escapeHtml(t.expired)}</h1><p>${escapeHtml(t.startAgain)}</p>`;
