/**
 * Error codes shared by the agent, the control plane and the console.
 *
 * Every error that crosses a process boundary (REST response, command reply, reported state)
 * carries one of these codes. The control plane maps each code to an HTTP status in exactly one
 * place (`control-plane/src/common/errors/http-status.ts`).
 */
export const ErrorCode = {
  /** A request body, config document or message failed schema validation; `issues` names each path. */
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  /** No credentials, or credentials that are unknown or expired. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Authenticated, but the role does not allow this action. */
  FORBIDDEN: 'FORBIDDEN',
  /** The addressed resource (fleet, agent, revision, token, device, tag, user) does not exist. */
  NOT_FOUND: 'NOT_FOUND',
  /** The request conflicts with the current state (duplicate name, concurrent revision). */
  CONFLICT: 'CONFLICT',
  /** Deleting or demoting this user would leave no admin, and nobody could manage users any more. */
  LAST_ADMIN: 'LAST_ADMIN',
  /** A user cannot delete their own account (another admin must). */
  CANNOT_DELETE_SELF: 'CANNOT_DELETE_SELF',
  /** The agent is not connected to the fleet broker, so a live command cannot reach it. */
  AGENT_OFFLINE: 'AGENT_OFFLINE',
  /** The agent did not answer a command before its deadline. */
  AGENT_TIMEOUT: 'AGENT_TIMEOUT',
  /** The enrollment token is unknown, revoked or malformed. */
  TOKEN_INVALID: 'TOKEN_INVALID',
  /** The enrollment token has passed its expiry time. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** The enrollment token has been used as many times as it allows. */
  TOKEN_EXHAUSTED: 'TOKEN_EXHAUSTED',
  /** The certificate signing request is malformed or its signature does not verify. */
  CSR_INVALID: 'CSR_INVALID',
  /**
   * The box's hardware id is waiting for approval (or approved but not yet given its first
   * certificate) with another key: only the box that asked, holding the key of its first request,
   * may take that identity. Final for the agent.
   */
  ENROLLMENT_KEY_MISMATCH: 'ENROLLMENT_KEY_MISMATCH',
  /**
   * A re-enrollment with the hardware id of an approved agent that is connected right now, made
   * with another key than that agent's certificate: hardware ids are not secret, so a second box
   * cannot take a running agent's identity. An operator must delete that agent first. Final.
   */
  AGENT_IDENTITY_IN_USE: 'AGENT_IDENTITY_IN_USE',
  /** An operator rejected this box's enrollment; the agent record must be deleted before it can ask again. Final for the agent. */
  ENROLLMENT_REJECTED: 'ENROLLMENT_REJECTED',
  /** Approve or reject addressed an agent that is not waiting for approval (already approved or rejected). */
  AGENT_NOT_PENDING: 'AGENT_NOT_PENDING',
  /** A config message's document does not validate; the agent keeps its last good config. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A config message's sha256 does not match its document. */
  CONFIG_DIGEST_MISMATCH: 'CONFIG_DIGEST_MISMATCH',
  /** A valid config could not be applied (a device or sink failed to start); the previous one keeps running. */
  CONFIG_APPLY_FAILED: 'CONFIG_APPLY_FAILED',
  /** The config names a driver or sink kind this agent build does not include. */
  DRIVER_UNAVAILABLE: 'DRIVER_UNAVAILABLE',
  /** A command named a device, group or tag the running config does not have. */
  TAG_NOT_FOUND: 'TAG_NOT_FOUND',
  /** A write addressed a tag that is read-only (access `r`) or whose source cannot be written. */
  TAG_NOT_WRITABLE: 'TAG_NOT_WRITABLE',
  /** A command the agent does not know. */
  COMMAND_UNKNOWN: 'COMMAND_UNKNOWN',
  /** A device did not answer or answered with an error. */
  DEVICE_ERROR: 'DEVICE_ERROR',
  /** An OPC UA server presented a certificate the operator has not trusted (see `trustedServerCertificates`). */
  CERTIFICATE_UNTRUSTED: 'CERTIFICATE_UNTRUSTED',
  /** The device's driver cannot do this (e.g. browse a Modbus device). */
  OPERATION_UNSUPPORTED: 'OPERATION_UNSUPPORTED',
  /** Too many requests; retry after the time given. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** An unexpected failure; details are in the server or agent log, never in the response. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorMessages: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The input is not valid',
  UNAUTHENTICATED: 'Authentication is required',
  FORBIDDEN: 'Your role does not allow this action',
  NOT_FOUND: 'Not found',
  CONFLICT: 'The request conflicts with the current state',
  LAST_ADMIN: 'This is the last admin; make another user admin first',
  CANNOT_DELETE_SELF: 'You cannot delete your own account',
  AGENT_OFFLINE: 'The agent is offline',
  AGENT_TIMEOUT: 'The agent did not answer in time',
  TOKEN_INVALID: 'The enrollment token is not valid',
  TOKEN_EXPIRED: 'The enrollment token has expired',
  TOKEN_EXHAUSTED: 'The enrollment token has no uses left',
  CSR_INVALID: 'The certificate signing request is not valid',
  ENROLLMENT_KEY_MISMATCH: 'This hardware id is bound to an enrollment request made with another key',
  AGENT_IDENTITY_IN_USE: 'An agent with this hardware id is connected with another key; an operator must delete it before another box can take its identity',
  ENROLLMENT_REJECTED: 'An operator rejected this box; the agent record must be deleted before it can enroll again',
  AGENT_NOT_PENDING: 'The agent is not waiting for approval',
  CONFIG_INVALID: 'The configuration is not valid',
  CONFIG_DIGEST_MISMATCH: 'The configuration digest does not match its document',
  CONFIG_APPLY_FAILED: 'The configuration could not be applied',
  DRIVER_UNAVAILABLE: 'The driver is not available in this agent',
  TAG_NOT_FOUND: 'No such device, group or tag',
  TAG_NOT_WRITABLE: 'The tag is not writable',
  COMMAND_UNKNOWN: 'Unknown command',
  DEVICE_ERROR: 'The device reported an error',
  CERTIFICATE_UNTRUSTED: 'The server certificate is not trusted',
  OPERATION_UNSUPPORTED: 'The driver does not support this operation',
  RATE_LIMITED: 'Too many requests',
  INTERNAL: 'Internal error',
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCode, value);
}

/** Exhaustiveness guard for switches over unions. */
export function assertUnreachable(value: never): never {
  throw new Error(`Unreachable value: ${JSON.stringify(value)}`);
}
