import { assertUnreachable, type ErrorCode } from '@edgefleet/protocol';

/** The HTTP status of every error code: the only place where codes meet HTTP. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'CSR_INVALID':
      return 400;
    case 'UNAUTHENTICATED':
    case 'TOKEN_INVALID':
    case 'TOKEN_EXPIRED':
      return 401;
    case 'FORBIDDEN':
    case 'TOKEN_EXHAUSTED':
    case 'ENROLLMENT_REJECTED':
      return 403;
    case 'NOT_FOUND':
    case 'TAG_NOT_FOUND':
      return 404;
    // AGENT_OFFLINE: a live command cannot reach an agent that is not connected; the agent's state, not the request, is at fault.
    // ENROLLMENT_KEY_MISMATCH: the hardware id is held by a request made with another key.
    // AGENT_IDENTITY_IN_USE: the hardware id belongs to an agent connected now with another key.
    // AGENT_NOT_PENDING: approve/reject of an agent already decided.
    // LAST_ADMIN, CANNOT_DELETE_SELF: the users as they are now forbid the change, not the request's form.
    case 'CONFLICT':
    case 'AGENT_OFFLINE':
    case 'ENROLLMENT_KEY_MISMATCH':
    case 'AGENT_IDENTITY_IN_USE':
    case 'AGENT_NOT_PENDING':
    case 'LAST_ADMIN':
    case 'CANNOT_DELETE_SELF':
      return 409;
    // Errors an agent reports about what it was asked to do: the request was understood but cannot be carried out.
    case 'CONFIG_INVALID':
    case 'CONFIG_DIGEST_MISMATCH':
    case 'TAG_NOT_WRITABLE':
    case 'DRIVER_UNAVAILABLE':
    case 'OPERATION_UNSUPPORTED':
      return 422;
    case 'RATE_LIMITED':
      return 429;
    case 'INTERNAL':
      return 500;
    case 'COMMAND_UNKNOWN':
      return 501;
    // The agent or the machine behind it failed: a bad gateway from the caller's point of view.
    case 'CONFIG_APPLY_FAILED':
    case 'DEVICE_ERROR':
    case 'CERTIFICATE_UNTRUSTED':
      return 502;
    case 'AGENT_TIMEOUT':
      return 504;
    default:
      return assertUnreachable(code);
  }
}
