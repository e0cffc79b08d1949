import { ErrorCode } from '@edgefleet/protocol';
import type { Driver } from '../drivers/driver.js';
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
export async function askDevice<T>(deadline: Deadline, device: string, call: Promise<T>, late: string | (() => string)): Promise<T> {
  try {
    return await deadline.race(call, () => new CommandError(ErrorCode.DEVICE_ERROR, `device '${device}' ${typeof late === 'string' ? late : late()}`));
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new CommandError(ErrorCode.DEVICE_ERROR, `device '${device}': ${errorMessage(err)}`);
  }
}

/** The share of a command's time spent waiting for a connection; the rest is for the work. */
const CONNECT_SHARE = 0.75;
const FAILURE_POLL_MS = 25;
const OWN_REASON_GRACE_MS = 100;

/**
 * Waits for a driver's connection with at most three quarters of the time left, and gives up as
 * soon as the driver's link says 'error' (an attempt failed, or the device is down and being
 * retried with backoff): whoever asks wants that answer ("connection refused") now, not when the
 * wait runs out. A failure the driver reports itself (an untrusted OPC UA certificate, with the
 * certificate) wins over this: it is given a moment to arrive. A driver connected but with
 * trouble of its own (Modbus slaves not answering) is connected: the work goes ahead.
 */
export async function connection(name: string, driver: Driver, deadline: Deadline, failed: string): Promise<void> {
  const connectMs = Math.max(1, Math.floor(deadline.left() * CONNECT_SHARE));
  let timer: NodeJS.Timeout | undefined;
  const attemptFailed = new Promise<never>((_, reject) => {
    const check = (): void => {
      if (driver.link() !== 'error') {
        timer = setTimeout(check, FAILURE_POLL_MS);
        return;
      }
      timer = setTimeout(() => reject(new CommandError(ErrorCode.DEVICE_ERROR, `device '${name}' ${failed}: ${driver.lastError() ?? 'the connection failed'}`)), OWN_REASON_GRACE_MS);
    };
    check();
  });
  const late = (): string => {
    const last = driver.lastError();
    return `${failed} within ${connectMs} ms${last ? `: ${last}` : ''}`;
  };
  try {
    await askDevice(deadline, name, Promise.race([driver.waitConnected(connectMs), attemptFailed]), late);
  } finally {
    clearTimeout(timer);
  }
}
