import { TagErrorNumber, errorMessages, isErrorCode, type TagValue } from '@edgefleet/protocol/browser';
import { ApiError } from '../api/client';

/** A failure as the screen shows it: a title in plain words, the API's message, what to do. */
export interface Explanation {
  title: string;
  message: string;
  hint?: string;
  code?: string;
  issues: Array<{ path: string; message: string }>;
}

/** What to do about each error code a commissioning call can answer with. */
const HINTS: Partial<Record<string, { title: string; hint: string }>> = {
  AGENT_OFFLINE: {
    title: 'The agent is offline',
    hint: 'It is not connected to the control plane right now, so nothing can be tried on the device. Check that the agent is running and has network access; this works again as soon as it reconnects.',
  },
  AGENT_TIMEOUT: {
    title: 'The agent did not answer in time',
    hint: 'The agent is connected but gave no answer before the deadline: the device may be slow or unreachable, or the agent busy. Try again; if it keeps happening, check the device address and the network between the agent and the device.',
  },
  VALIDATION_FAILED: { title: 'The request was refused', hint: 'Correct the fields listed below and try again.' },
  CERTIFICATE_UNTRUSTED: {
    title: 'The server certificate is not trusted',
    hint: 'Run "Test connection" to see the certificate the server presents, compare its fingerprint with the server, and trust it.',
  },
  TAG_NOT_FOUND: {
    title: 'No such device, group or tag on the agent',
    hint: "The agent reads with the config it runs. If the device, group or tag was saved only just now, wait until the agent has applied the new revision and try again.",
  },
  OPERATION_UNSUPPORTED: { title: 'Not possible with this driver', hint: 'Browsing works on OPC UA devices only.' },
  DEVICE_ERROR: { title: 'The device reported an error', hint: 'Check the device settings, that the device is switched on, and the network between the agent and the device.' },
  DRIVER_UNAVAILABLE: { title: 'Driver not available', hint: "This agent's build does not include the driver of this device." },
  CONFLICT: { title: 'The config changed at the same time', hint: 'Someone else saved the config meanwhile; try again.' },
  NOT_FOUND: { title: 'Not found', hint: 'The agent, its config or the node no longer exists; reload the page.' },
  UNAUTHENTICATED: { title: 'Your session has ended', hint: 'Sign in again.' },
  FORBIDDEN: { title: 'Not allowed', hint: 'Your role does not allow this action.' },
  RATE_LIMITED: { title: 'Too many requests', hint: 'Wait a moment and try again.' },
};

/** A failure the screen finds itself (a device or group gone since the page loaded), titled for people. */
export class CommissioningFailure extends Error {
  constructor(
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Any failure of an API call (an `ApiError` or a network failure) in plain words. */
export function explainFailure(error: unknown, doing: string): Explanation {
  if (error instanceof ApiError) {
    const known = HINTS[error.code];
    return {
      title: known?.title ?? `${doing} failed`,
      message: error.message,
      ...(known ? { hint: known.hint } : {}),
      code: error.code,
      issues: error.issues,
    };
  }
  if (error instanceof CommissioningFailure) return { title: error.title, message: error.message, issues: [] };
  const message = error instanceof Error ? error.message : String(error);
  return { title: 'Cannot reach the control plane', message, hint: 'Check your network connection and try again.', issues: [] };
}

/** An error code an agent reported (in a test-connection result) in words. */
export function errorCodeText(code: string): string {
  return isErrorCode(code) ? errorMessages[code] : code;
}

/** A per-tag error number (Neuron's numbering, protocol/src/messages/values.ts) in words. */
export function tagErrorText(code: number): string {
  switch (code) {
    case TagErrorNumber.VALUE_EXPIRED:
      return 'the value is older than the group allows';
    case TagErrorNumber.DEVICE_NO_RESPONSE:
      return 'the device did not answer';
    case TagErrorNumber.READ_FAILURE:
      return 'the address could not be read';
    default:
      return 'the read failed';
  }
}

/** A tag value for display: bytes in hex, strings as they are. */
export function formatValue(value: TagValue): string {
  if (Array.isArray(value)) return value.length === 0 ? '(no bytes)' : value.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  if (typeof value === 'string') return value === '' ? '(empty string)' : value;
  return String(value);
}

/** `ab12…` → `AB:12:…`, the form certificate viewers show. */
export function colonFingerprint(fingerprint: string): string {
  return fingerprint
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

