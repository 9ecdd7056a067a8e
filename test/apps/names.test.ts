import { describe, expect, it } from 'vitest';
import { APP_NAME_PATTERN, generateAppName, validateAppName } from '../../src/apps/index.js';

describe('app names', () => {
  it.each(['abc', 'demo', 'my-app-2', 'a'.repeat(30), 'x0-9'])('accepts %j', (name) => {
    expect(validateAppName(name)).toBe(name);
  });

  it.each([
    ['ab', 'Name is too short (minimum is 3 characters)'],
    ['a'.repeat(31), 'Name is too long (maximum is 30 characters)'],
    ['Demo', 'Name must start with a letter'],
    ['1demo', 'Name must start with a letter'],
    ['demo-', 'Name must start with a letter'],
    ['de_mo', 'Name must start with a letter'],
    ['de mo', 'Name must start with a letter'],
  ])('rejects %j', (name, message) => {
    expect(() => validateAppName(name)).toThrow(message);
  });

  it('generates valid Heroku-style names, avoiding taken ones', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const name = generateAppName((n) => seen.has(n));
      expect(name).toMatch(APP_NAME_PATTERN);
      expect(name).toMatch(/^[a-z]+-[a-z]+-\d{5}$/);
      expect(seen.has(name)).toBe(false);
      seen.add(name);
    }
  });
});
