import type { LoginResponse } from '@edgefleet/protocol';

const KEY = 'edgefleet.session';

/** The signed-in user's session, kept for the browser tab (sessionStorage): gone when the tab closes or the token expires. */
export interface Session {
  token: string;
  expiresAt: string;
  user: { username: string; role: string };
}

export function loadSession(storage: Storage = sessionStorage, now = Date.now()): Session | null {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.token || Date.parse(s.expiresAt) <= now) {
      storage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(login: LoginResponse, storage: Storage = sessionStorage): Session {
  const s: Session = { token: login.token, expiresAt: login.expiresAt, user: login.user };
  storage.setItem(KEY, JSON.stringify(s));
  return s;
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}
