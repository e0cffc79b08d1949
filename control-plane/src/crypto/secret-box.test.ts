import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret } from './secret-box.js';

describe('secret box', () => {
  const key = randomBytes(32);

  it('round-trips and refuses another key or another row', () => {
    const sealed = encryptSecret(key, 'private key', 'ca:fleet');
    expect(sealed).not.toContain('private');
    expect(decryptSecret(key, sealed, 'ca:fleet')).toBe('private key');
    expect(() => decryptSecret(randomBytes(32), sealed, 'ca:fleet')).toThrow(/master key/);
    expect(() => decryptSecret(key, sealed, 'ca:other')).toThrow();
  });

  it('insists on a 32-byte key', () => {
    expect(() => encryptSecret(randomBytes(16), 'x', 'a')).toThrow(/32 bytes/);
  });
});
