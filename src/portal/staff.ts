// The staff console's test helpers: staff members made as `lanyard admin create` makes them, and the
// console's sign-in page driven like a person would.
import type { Page } from 'playwright-core';
import type { TestApp } from '../testing/test-app.js';

export interface Staff {
  id: string;
  email: string;
  password: string;
  role: 'admin' | 'support';
}

/** A staff member of the role given, with a unique address. */
export async function staffIn(t: TestApp, role: Staff['role']): Promise<Staff> {
  const email = `staff-${role}-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const password = `staff pass ${Math.random().toString(36).slice(2, 10)}`;
  const { id } = await t.app.services.accounts.createStaff({ email, password, role });
  return { id, email, password, role };
}

export const consoleWords = {
  en: { signInTitle: 'Staff sign-in', login: 'Email, phone or account id', password: 'Password', submit: 'Sign in', home: 'Staff console', signOut: 'Sign out', signedOut: 'You are signed out.' },
  es: { signInTitle: 'Acceso del personal', login: 'Correo, teléfono o id de cuenta', password: 'Contraseña', submit: 'Iniciar sesión', home: 'Consola del personal', signOut: 'Cerrar sesión', signedOut: 'Has cerrado la sesión.' },
} as const;

/** Opens the console at `path` (signed out, so its sign-in form shows), signs in, and waits for `heading`. */
export async function signInToConsole(page: Page, who: { email: string; password: string }, language: 'en' | 'es', path = '/admin', heading?: string): Promise<void> {
  const words = consoleWords[language];
  await page.goto(path);
  await page.getByRole('heading', { level: 1, name: words.signInTitle }).waitFor();
  await page.getByRole('textbox', { name: words.login }).fill(who.email);
  await page.getByLabel(words.password).fill(who.password);
  await page.getByRole('button', { name: words.submit, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading ?? words.home }).waitFor();
}
