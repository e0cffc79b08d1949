import { describe, expect, it } from 'vitest';
import { clearSession, loadSession, saveSession } from './session';

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(k: string) {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.items.set(k, v);
  }
  removeItem(k: string) {
    this.items.delete(k);
  }
}

describe('session', () => {
  it('keeps the token until it expires, and forgets it on sign-out', () => {
    const storage = new MemoryStorage() as unknown as Storage;
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    saveSession({ token: 't', expiresAt, user: { username: 'admin', role: 'admin' } }, storage);
    expect(loadSession(storage)?.user).toEqual({ username: 'admin', role: 'admin' });
    expect(loadSession(storage, Date.now() + 120_000)).toBeNull();
    saveSession({ token: 't', expiresAt, user: { username: 'admin', role: 'admin' } }, storage);
    clearSession(storage);
    expect(loadSession(storage)).toBeNull();
  });
});
