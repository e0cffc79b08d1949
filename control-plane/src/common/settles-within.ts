/**
 * Waits for `work` to settle, at most `ms`. Answers whether it settled in time; the work itself
 * is not cancelled. For shutdown paths, which must never wait forever on a stuck dependency.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
