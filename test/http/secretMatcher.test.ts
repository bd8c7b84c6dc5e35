import { describe, expect, it } from 'vitest';

import { SecretMatcher } from '../../src/http/secretMatcher.js';

describe('SecretMatcher', () => {
  it('matches a secret byte for byte, whatever its length or alphabet, without hashing it', () => {
    for (const secret of ['s3cret-ABC_xyz', 'ß€😀-given', 'x'.repeat(300)]) {
      const matcher = new SecretMatcher(secret);
      expect(matcher.matches(secret)).toBe(true);
      for (const presented of [
        secret.slice(0, -1),
        `${secret}x`,
        `${secret.slice(0, -1)}y`,
        secret.toUpperCase() === secret ? secret.toLowerCase() : secret.toUpperCase(),
        // Same code units modulo 256: a latin1 copy would confuse these, UTF-8 does not.
        [...secret].map((c) => String.fromCharCode((c.charCodeAt(0) + 256) % 65536)).join(''),
        '\0'.repeat(secret.length),
        'y'.repeat(10_000),
      ]) {
        expect(matcher.matches(presented), JSON.stringify(presented.slice(0, 40))).toBe(false);
      }
      matcher.forget();
      expect(matcher.matches(secret)).toBe(false);
      expect(matcher.matches('\0'.repeat(secret.length))).toBe(false);
    }
  });

  it('refuses a missing value and the empty string', () => {
    const matcher = new SecretMatcher('launch-token-123');
    expect(matcher.matches(undefined)).toBe(false);
    expect(matcher.matches(null)).toBe(false);
    expect(matcher.matches('')).toBe(false);
  });

  it('matches a secret longer than its default room (a long given launch token)', () => {
    const secret = 'k'.repeat(2_000);
    const matcher = new SecretMatcher(secret);
    expect(matcher.matches(secret)).toBe(true);
    expect(matcher.matches(`${secret}k`)).toBe(false);
    expect(matcher.matches(secret.slice(1))).toBe(false);
  });
});
