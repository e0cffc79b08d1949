import { createContext, useContext, useEffect } from 'react';
import { isWithin } from './doc-path';

/**
 * A request to bring a field into view (from the list of problems): the sections holding it
 * select the device, open the group, turn the table's page; then the input is focused.
 * `seq` makes a second click on the same problem a new request.
 */
export interface RevealRequest {
  path: string;
  seq: number;
}

export const RevealContext = createContext<RevealRequest | null>(null);

/** Calls `onReveal(path)` when a reveal request lands at or inside `scope`. */
export function useReveal(scope: string, onReveal: (path: string) => void): void {
  const request = useContext(RevealContext);
  useEffect(() => {
    if (request && isWithin(request.path, scope)) onReveal(request.path);
    // Only a new request counts; onReveal is a fresh closure every render.
  }, [request]);
}

/** The input of `path` (or of the nearest enclosing field that has one), once rendered. */
export function focusField(path: string): void {
  const all = Array.from(document.querySelectorAll<HTMLElement>('[data-path]'));
  let target: HTMLElement | undefined;
  for (let p = path; ; ) {
    target = all.find((el) => el.dataset.path === p);
    if (target) break;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  if (!target) target = all.find((el) => el.dataset.path?.startsWith(path));
  target?.scrollIntoView?.({ block: 'center' });
  target?.focus();
}
