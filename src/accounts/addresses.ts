import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { invalidField } from '../http/errors.js';

const EMAIL_PATTERN =
  /^[^\s\x00-\x1f\x7f@"<>()[\],;:\\]+@[^\s\x00-\x1f\x7f@"<>()[\],;:\\]+\.[^\s\x00-\x1f\x7f@"<>()[\],;:\\]{2,}$/;

/** Lower-cases and trims an email; throws validation_failed if it is not an address. */
export function normalizeEmail(input: string, field = 'email'): string {
  const email = input.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) throw invalidField(field, 'is not an email address');
  return email;
}

/** Turns a phone number in international form into E.164 (+34612345678); throws if it is not one. */
export function normalizePhone(input: string, field = 'phone'): string {
  const trimmed = input.trim();
  if (!trimmed.startsWith('+'))
    throw invalidField(field, 'must be in international form, starting with + and the country code');
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed || !parsed.isValid()) throw invalidField(field, 'is not a valid phone number');
  return parsed.number;
}

export type Login = { kind: 'email'; value: string } | { kind: 'phone'; value: string } | { kind: 'id'; value: string };

/** Reads a login as an email, a phone number or an account id, without throwing. */
export function parseLogin(input: string): Login {
  const trimmed = input.trim();
  if (trimmed.includes('@')) return { kind: 'email', value: trimmed.toLowerCase() };
  if (/^\+[0-9 ().-]+$/.test(trimmed)) {
    const parsed = parsePhoneNumberFromString(trimmed);
    return { kind: 'phone', value: parsed?.isValid() ? parsed.number : trimmed };
  }
  return { kind: 'id', value: trimmed };
}

/** j***@e***.com: enough for the owner to recognise, too little for anyone else. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}***@${host.slice(0, 1)}***${tld}`;
}

/** +34 *** *** 222: the country code and the last three digits. */
export function maskPhone(phone: string): string {
  const parsed = parsePhoneNumberFromString(phone);
  const country = parsed ? `+${parsed.countryCallingCode}` : phone.slice(0, 3);
  return `${country} *** *** ${phone.slice(-3)}`;
}
