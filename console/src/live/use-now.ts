import { useEffect, useState } from 'react';

/** The current time, renewed every `everyMs`, for "2 s ago" labels that keep counting. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
