import { describe, expect, test } from 'vitest';
import { passwordStrength } from './password-strength';

describe('passwordStrength', () => {
  test('under 8 characters is too short, counted in characters rather than UTF-16 units', () => {
    expect(passwordStrength('')).toBe(0);
    expect(passwordStrength('Ab1!xyz')).toBe(0);
    // Seven emoji are fourteen UTF-16 units, still seven characters.
    expect(passwordStrength('😀😀😀😀😀😀😁')).toBe(0);
    expect(passwordStrength('abcdefgh')).toBe(1);
  });

  test('length and variety raise it, up to 4', () => {
    expect(passwordStrength('zxcvbnmlkj')).toBe(1);
    expect(passwordStrength('zxcvbnmlkjhg')).toBe(2);
    expect(passwordStrength('Zxcvbnm1kjhg')).toBe(3);
    expect(passwordStrength('zxcvbnmlkjhgfdsa')).toBe(3);
    expect(passwordStrength('Correct Horse 42 battery staple')).toBe(4);
  });

  test('one repeated character or a well-known start stays weak however long', () => {
    expect(passwordStrength('aaaaaaaaaaaaaaaaaaaa')).toBe(1);
    expect(passwordStrength('Password1234567890!')).toBe(1);
    expect(passwordStrength('12345678901234567890')).toBe(1);
    expect(passwordStrength('QWERTYuiop123456!')).toBe(1);
  });
});
