// The staff console's test helpers: staff members made as `lanyard admin create` makes them (with the
// authenticator app staff routes require), and the console's sign-in page driven like a person would.
import type { Page } from 'playwright-core';
import { createStaffMember, totpCode, type StaffMember } from '../testing/staff.js';
import type { TestApp } from '../testing/test-app.js';

export type Staff = StaffMember;

/** A staff member of the role given, with a unique address and an authenticator app enrolled. */
export async function staffIn(t: TestApp, role: Staff['role']): Promise<Staff> {
  return createStaffMember(t, role);
}

export const consoleWords = {
  en: {
    signInTitle: 'Staff sign-in',
    login: 'Email, phone or account id',
    password: 'Password',
    submit: 'Sign in',
    home: 'Staff console',
    signOut: 'Sign out',
    signedOut: 'You are signed out.',
    stepTitle: '2-step verification',
    code: 'Code',
    verify: 'Verify',
  },
  es: {
    signInTitle: 'Acceso del personal',
    login: 'Correo, teléfono o id de cuenta',
    password: 'Contraseña',
    submit: 'Iniciar sesión',
    home: 'Consola del personal',
    signOut: 'Cerrar sesión',
    signedOut: 'Has cerrado la sesión.',
    stepTitle: 'Verificación en dos pasos',
    code: 'Código',
    verify: 'Verificar',
  },
} as const;

/**
 * The second step of a staff sign-in on the page: the authenticator app's code. Each code is good once,
 * so the (test) clock first moves on to the next 30-second step, as a person would wait for a new code.
 */
export async function answerSecondStep(t: TestApp, page: Page, staff: Staff, language: 'en' | 'es'): Promise<void> {
  const words = consoleWords[language];
  await page.getByRole('heading', { level: 1, name: words.stepTitle }).waitFor();
  t.clock.advance(30_000);
  await page.getByRole('textbox', { name: words.code }).fill(await totpCode(t, staff.totpSecret));
  await page.getByRole('button', { name: words.verify, exact: true }).click();
}

/** Opens the console at `path` (signed out, so its sign-in form shows), signs in with both steps, and waits for `heading`. */
export async function signInToConsole(
  t: TestApp,
  page: Page,
  staff: Staff,
  language: 'en' | 'es',
  path = '/admin',
  heading?: string,
): Promise<void> {
  const words = consoleWords[language];
  await page.goto(path);
  await page.getByRole('heading', { level: 1, name: words.signInTitle }).waitFor();
  await page.getByRole('textbox', { name: words.login }).fill(staff.email);
  await page.getByLabel(words.password).fill(staff.password);
  await page.getByRole('button', { name: words.submit, exact: true }).click();
  await answerSecondStep(t, page, staff, language);
  await page.getByRole('heading', { level: 1, name: heading ?? words.home }).waitFor();
}
