import { ErrorCode } from '@edgefleet/protocol';
import { AgentError, errorMessage } from '../util/errors.js';
import { CommandError } from './command-error.js';

/**
 * The time a command may spend working: what is left until its deadline, less a margin to
 * publish the reply. The margin is a fifth of the time left, at most half a second, so even a
 * short timeout gets its answer to the plane before the plane stops waiting.
 */
export function workBudgetMs(deadline: string, now: number): number {
  const left = Date.parse(deadline) - now;
  return Math.max(0, left - Math.min(MAX_REPLY_MARGIN_MS, left / 5));
}

const MAX_REPLY_MARGIN_MS = 500;

/** A point in time a command must answer by, measured on the monotonic clock. */
export class Deadline {
  private readonly at: number;

  constructor(budgetMs: number) {
    this.at = performance.now() + budgetMs;
  }

  /** Milliseconds left, never negative. */
  left(): number {
    return Math.max(0, Math.round(this.at - performance.now()));
  }

  /**
   * Settles with `work`, or rejects with `onTimeout()` once the deadline passes. The work is not
   * cancelled (a driver call cannot be), only no longer waited for.
   */
  race<T>(work: Promise<T>, onTimeout: () => AgentError): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(onTimeout()), this.left());
      work.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }
}

/**
 * Waits for a driver call within the deadline. A driver rejects with an `AgentError` (its code
 * says what went wrong); anything else its library throws is the device's failure, in its words.
 */
export async function askDevice<T>(deadline: Deadline, device: string, call: Promise<T>, late: string): Promise<T> {
  try {
    return await deadline.race(call, () => new CommandError(ErrorCode.DEVICE_ERROR, `device '${device}' ${late}`));
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new CommandError(ErrorCode.DEVICE_ERROR, `device '${device}': ${errorMessage(err)}`);
  }
}
