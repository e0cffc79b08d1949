import { describe, expect, it } from 'vitest';
import { newSerialNumber } from './x509.js';

describe('newSerialNumber', () => {
  it('is 16 bytes whose first is 0x01–0x7f: positive, and already the minimal DER integer', () => {
    for (let i = 0; i < 2_000; i++) {
      const serial = newSerialNumber();
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      const first = parseInt(serial.slice(0, 2), 16);
      expect(first).toBeGreaterThanOrEqual(1);
      expect(first).toBeLessThanOrEqual(0x7f);
    }
  });
});
