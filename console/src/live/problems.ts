import { errorMessages, isErrorCode } from '@edgefleet/protocol/browser';
import { ApiError } from '../api/client';

export interface LiveProblem {
  /** Short, for the status badge: `Agent offline`. */
  badge: string;
  title: string;
  /** What it means for the values on screen and what happens next. */
  detail: string;
  color: 'gray' | 'orange' | 'red';
  /** The control plane's own message, when `detail` does not already say it. */
  reply?: string;
}

/** Why the last poll of the values failed, in plain words (the values shown stay, marked stale). */
export function describeLiveProblem(error: unknown): LiveProblem {
  if (error instanceof ApiError) {
    if (error.code === 'AGENT_OFFLINE') {
      return {
        badge: 'Agent offline',
        title: 'The agent is offline',
        detail: 'It is not connected to the control plane, so its values cannot be read. The values below are the last ones received; they update again as soon as the agent reconnects.',
        color: 'gray',
        reply: error.message,
      };
    }
    if (error.code === 'AGENT_TIMEOUT' || error.status === 504) {
      return {
        badge: 'No answer',
        title: 'The agent did not answer in time',
        detail: 'It is connected but busy or on a slow link. The values below are the last ones received; the screen keeps asking every second.',
        color: 'orange',
        reply: error.message,
      };
    }
    if (error.status === 404) return { badge: 'Not found', title: 'No such agent', detail: error.message, color: 'red' };
    if (error.status === 401 || error.status === 403) return { badge: 'Not allowed', title: headline(error), detail: error.message, color: 'red' };
    return { badge: 'Error', title: 'The values cannot be read', detail: `${headline(error)}: ${error.message}`, color: 'red' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { badge: 'No connection', title: 'The control plane cannot be reached', detail: `Check the network connection. (${message})`, color: 'red' };
}

/** The protocol's sentence for an error code (`The tag is not writable`), or the HTTP status. */
export function headline(error: ApiError): string {
  return isErrorCode(error.code) ? errorMessages[error.code] : `HTTP ${error.status}`;
}

export interface WriteProblem {
  title: string;
  message: string;
  /** What the operator should know before trying again. */
  advice?: string;
  /** `TAG_NOT_WRITABLE · HTTP 422`. */
  reference: string;
  issues: Array<{ path: string; message: string }>;
}

/** A failed write as the dialog shows it: the device's or the plane's answer, with its code. */
export function describeWriteProblem(error: unknown): WriteProblem {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { title: 'The control plane cannot be reached', message, advice: 'Nothing was written. Check the network connection.', reference: 'no answer', issues: [] };
  }
  const base = { title: headline(error), message: error.message, reference: `${error.code} · HTTP ${error.status}`, issues: error.issues };
  if (error.code === 'AGENT_TIMEOUT' || error.status === 504) {
    return { ...base, advice: 'The write may still have reached the device. Check the value in the table before writing again.' };
  }
  if (error.code === 'AGENT_OFFLINE') return { ...base, advice: 'Nothing was written: the agent is not connected.' };
  if (error.code === 'DEVICE_ERROR') return { ...base, advice: 'The device did not take the value.' };
  return base;
}
