import { createContext, useCallback, useContext, useState, type Dispatch, type SetStateAction } from 'react';

/**
 * Where the editor remembers what is selected and open (the device picked, the groups unfolded,
 * a table's page), so switching between sections and views comes back to the same place.
 */
export const UiMemoryContext = createContext<Map<string, unknown> | null>(null);

/** `useState` whose value outlives the component, under `key`, for as long as the editor lives. */
export function useRemembered<T>(key: string, initial: T | (() => T)): [T, Dispatch<SetStateAction<T>>] {
  const memory = useContext(UiMemoryContext);
  const [value, setValue] = useState<T>(() => (memory?.has(key) ? (memory.get(key) as T) : typeof initial === 'function' ? (initial as () => T)() : initial));
  const set = useCallback<Dispatch<SetStateAction<T>>>(
    (next) => {
      setValue((prev) => {
        const v = typeof next === 'function' ? (next as (p: T) => T)(prev) : next;
        memory?.set(key, v);
        return v;
      });
    },
    [memory, key],
  );
  return [value, set];
}
