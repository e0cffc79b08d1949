import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client';
import type { Permissions } from '../auth/permissions';
import type { Session } from '../auth/session';

/** The signed-in user's API client and rights, for every screen under the shell. */
export interface ConsoleContextValue extends Permissions {
  client: ApiClient;
  user: Session['user'];
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside the signed-in console');
  return value;
}
