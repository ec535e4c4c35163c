import { describe, expect, test } from 'vitest';
import { factorOf } from './second-factor';

describe('factorOf', () => {
  test('six digits are an authenticator code, spaces dropped', () => {
    expect(factorOf('123456')).toEqual({ method: 'totp', code: '123456' });
    expect(factorOf(' 123 456 ')).toEqual({ method: 'totp', code: '123456' });
  });

  test('anything else is a recovery code, as typed (trimmed)', () => {
    expect(factorOf(' abcde-12345 ')).toEqual({ method: 'recovery_code', code: 'abcde-12345' });
    expect(factorOf('12345')).toEqual({ method: 'recovery_code', code: '12345' });
    expect(factorOf('1234567')).toEqual({ method: 'recovery_code', code: '1234567' });
  });
});
