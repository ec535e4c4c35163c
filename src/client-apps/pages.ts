import { cspHash } from '../http/headers.js';
import type { Locale } from '../messaging/templates.js';
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
    skip: 'Skip to content',
    errorTitle: 'Sign-in error',
    errorHeading: 'This sign-in cannot go on',
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
    skip: 'Ir al contenido',
    errorTitle: 'Error de inicio de sesión',
    errorHeading: 'Este inicio de sesión no puede continuar',
  },
} satisfies Record<Locale, unknown>;
export type PageText = (typeof TEXT)['en'];

/** The language of a page: the app's ui_locales first, then the browser's Accept-Language; English otherwise. */
export function localeOf(uiLocales: unknown, acceptLanguage: unknown): Locale {
  const wanted = [
    ...String(uiLocales ?? '').split(' '),
    ...String(acceptLanguage ?? '')
      .split(',')
      .map((part) => part.split(';')[0]!.trim()),
  ];
  for (const tag of wanted) {
    const language = tag.toLowerCase().split('-')[0];
    if (language === 'es') return 'es';
    if (language === 'en') return 'en';
  }
  return 'en';
}

export const textOf = (locale: Locale): PageText => TEXT[locale];

/**
 * The portal's design tokens (web/src/shared/ui/tokens.css), light and dark: these pages are served by
 * the provider, not by the portal's bundle, and look the same. A test keeps the two in step.
 */
export const PORTAL_TOKENS = `:root{--color-bg:#f6f7f9;--color-surface:#ffffff;--color-text:#15171c;--color-muted:#4d5564;--color-border:#c9ced8;--color-accent:#2447b8;--color-accent-text:#ffffff;--color-danger:#b42318;--color-danger-bg:#fdecea;--color-ok:#146c2e;--color-ok-bg:#e7f5ec;--color-focus:#1a56ff;--space-1:4px;--space-2:8px;--space-3:12px;--space-4:16px;--space-5:24px;--space-6:32px;--radius:10px;--font:system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;--text-s:0.875rem;--text-m:1rem;--text-l:1.25rem;--text-xl:1.625rem;color-scheme:light dark}
@media (prefers-color-scheme: dark){:root{--color-bg:#101217;--color-surface:#1a1d24;--color-text:#eef0f4;--color-muted:#aab2c0;--color-border:#3a404c;--color-accent:#8fb0ff;--color-accent-text:#0b1020;--color-danger:#ff9d92;--color-danger-bg:#3a1714;--color-ok:#8ee0a6;--color-ok-bg:#123020;--color-focus:#9dbbff}}`;

// The portal's own rules (web/src/shared/ui/ui.module.css) for what these pages use, under the same names.
const PAGE_STYLE = `${PORTAL_TOKENS}
*{box-sizing:border-box}html,body{margin:0;padding:0}
body{background:var(--color-bg);color:var(--color-text);font-family:var(--font);font-size:var(--text-m);line-height:1.5}
a{color:var(--color-accent)}:focus-visible{outline:3px solid var(--color-focus);outline-offset:2px}
h1{font-size:var(--text-xl);margin:0 0 var(--space-4);line-height:1.25}p{margin:0 0 var(--space-3)}
.shell{min-height:100vh;display:flex;flex-direction:column}
.header{display:flex;flex-wrap:wrap;align-items:center;gap:var(--space-3);padding:var(--space-3) var(--space-4);background:var(--color-surface);border-bottom:1px solid var(--color-border)}
.brand{font-weight:700;font-size:var(--text-l);color:var(--color-text);text-decoration:none;margin-right:auto}
.main{width:100%;max-width:440px;margin:0 auto;padding:var(--space-5) var(--space-4);flex:1}
.card{background:var(--color-surface);border:1px solid var(--color-border);border-radius:var(--radius);padding:var(--space-5);margin-bottom:var(--space-4)}
.form{display:flex;flex-direction:column;gap:var(--space-4)}.field{display:flex;flex-direction:column;gap:var(--space-1)}.label{font-weight:600}
.input{font:inherit;padding:var(--space-2) var(--space-3);border-radius:8px;min-height:44px;border:1px solid var(--color-border);background:var(--color-surface);color:var(--color-text)}
.input:focus-visible{outline:3px solid var(--color-focus);outline-offset:1px}
.button{font:inherit;font-weight:600;min-height:44px;padding:var(--space-2) var(--space-4);border-radius:8px;border:1px solid var(--color-accent);cursor:pointer;background:var(--color-accent);color:var(--color-accent-text)}
.button[data-variant='secondary']{background:transparent;color:var(--color-accent)}
.actions{display:flex;flex-wrap:wrap;gap:var(--space-3);align-items:center}
.alert{padding:var(--space-3) var(--space-4);border-radius:8px;background:var(--color-danger-bg);color:var(--color-danger)}
.notice{padding:var(--space-3) var(--space-4);border-radius:8px;background:var(--color-ok-bg);color:var(--color-ok)}
.muted{color:var(--color-muted)}
.list{list-style:none;margin:0 0 var(--space-4);padding:0}.list>li{padding:var(--space-3) 0;border-top:1px solid var(--color-border)}.list>li:first-child{border-top:0}
.user-code{display:block;font-size:var(--text-xl);font-weight:700;letter-spacing:.1em;text-align:center;padding:var(--space-3);border-radius:8px;background:var(--color-bg);overflow-wrap:anywhere}
.skip{position:absolute;left:-9999px}.skip:focus{left:var(--space-2);top:var(--space-2);background:var(--color-surface);padding:var(--space-2);z-index:10}`;

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

/** A whole page in the portal's look: its header, a narrow column, the body (see card below). */
export function page(locale: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Lanyard</title>
<style>${PAGE_STYLE}</style></head>
<body><div class="shell"><a class="skip" href="#main">${escapeHtml(TEXT[locale].skip)}</a>
<header class="header"><a class="brand" href="/">Lanyard</a></header>
<main id="main" class="main" tabindex="-1">${body}</main></div></body></html>`;
}

/** A heading, then the page's content in a card, as the portal's forms are laid out. */
export const card = (heading: string, content: string) =>
  `<h1>${escapeHtml(heading)}</h1><div class="card">${content}</div>`;

/** A labelled text field (the label is what assistive technology reads). */
export const textField = (id: string, label: string, attributes: string) =>
  `<div class="field"><label class="label" for="${id}">${escapeHtml(label)}</label><input class="input" id="${id}" name="${id}" ${attributes}></div>`;

/** A form's buttons: the main one first, the others as secondary buttons. */
export const buttons = (main: string, ...others: string[]) => `<div class="actions">${main}${others.join('')}</div>`;
export const mainButton = (label: string, attributes = '') =>
  `<button class="button" type="submit"${attributes ? ` ${attributes}` : ''}>${escapeHtml(label)}</button>`;
export const secondaryButton = (label: string, attributes = '') =>
  `<button class="button" data-variant="secondary" type="submit"${attributes ? ` ${attributes}` : ''}>${escapeHtml(label)}</button>`;

export const alert = (error?: string) => (error ? `<p class="alert" role="alert">${escapeHtml(error)}</p>` : '');

export function signInBody(
  t: PageText,
  action: string,
  appName: string,
  options: { again: boolean; login?: string; error?: string },
): string {
  return card(
    options.again ? t.signInAgain(appName) : t.signInTo(appName),
    `<form class="form" method="post" action="${escapeHtml(action)}">${alert(options.error)}
${textField('login', t.login, `autocomplete="username" required value="${escapeHtml(options.login ?? '')}"`)}
${textField('password', t.password, 'type="password" autocomplete="current-password" required')}
${buttons(mainButton(t.signIn))}</form>`,
  );
}

export function secondFactorBody(
  t: PageText,
  action: string,
  state: string,
  methods: string[],
  error?: string,
): string {
  return card(
    t.secondFactor,
    `<form class="form" method="post" action="${escapeHtml(action)}">${alert(error)}<input type="hidden" name="state" value="${escapeHtml(state)}">
<input type="hidden" name="method" value="${escapeHtml(methods.includes('totp') ? 'totp' : (methods[0] ?? ''))}">
${textField('code', t.secondFactorCode, 'autocomplete="one-time-code" inputmode="numeric" required')}
${buttons(mainButton(t.verify))}</form>`,
  );
}

export function consentBody(t: PageText, locale: Locale, action: string, appName: string, scopes: Scope[]): string {
  return card(
    t.wants(appName),
    `<p>${escapeHtml(t.canDo)}</p>
<ul class="list">${scopes.map((s) => `<li>${escapeHtml(SCOPE_TEXT[s][locale])}</li>`).join('')}</ul>
<p class="muted">${escapeHtml(t.revokeLater)} <a href="/apps" target="_blank" rel="noopener">${escapeHtml(t.appsPage)}</a></p>
<form class="form" method="post" action="${escapeHtml(action)}">
${buttons(mainButton(t.allow, 'name="decision" value="allow"'), secondaryButton(t.deny, 'name="decision" value="deny"'))}</form>`,
  );
}

export const expiredBody = (t: PageText) => card(t.expired, `<p>${escapeHtml(t.startAgain)}</p>`);

/** Text made safe to put into HTML, in an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
