import { TagErrorNumber } from '@edgefleet/protocol';

/**
 * The OPC UA status codes the driver acts on (OPC 10000-4 §7.39, values from the specification's
 * StatusCode.csv). The top two bits are the severity: 00 Good, 01 Uncertain, 10 Bad; the low 16
 * bits are flags (info bits, limits) and do not change which code it is.
 */
export const Status = {
  Good: 0x0000_0000,
  GoodSubscriptionTransferred: 0x002d_0000,
  BadCommunicationError: 0x8005_0000,
  BadTimeout: 0x800a_0000,
  BadShutdown: 0x800c_0000,
  BadServerNotConnected: 0x800d_0000,
  BadServerHalted: 0x800e_0000,
  BadNothingToDo: 0x800f_0000,
  BadTooManyOperations: 0x8010_0000,
  BadCertificateInvalid: 0x8012_0000,
  BadCertificateUntrusted: 0x801a_0000,
  BadUserAccessDenied: 0x801f_0000,
  BadIdentityTokenInvalid: 0x8020_0000,
  BadIdentityTokenRejected: 0x8021_0000,
  BadSecureChannelIdInvalid: 0x8022_0000,
  BadSessionIdInvalid: 0x8025_0000,
  BadSessionClosed: 0x8026_0000,
  BadSessionNotActivated: 0x8027_0000,
  BadSubscriptionIdInvalid: 0x8028_0000,
  BadNoCommunication: 0x8031_0000,
  BadWaitingForInitialData: 0x8032_0000,
  BadNodeIdInvalid: 0x8033_0000,
  BadNodeIdUnknown: 0x8034_0000,
  BadAttributeIdInvalid: 0x8035_0000,
  BadNotReadable: 0x803a_0000,
  BadNotWritable: 0x803b_0000,
  BadOutOfRange: 0x803c_0000,
  BadMonitoredItemFilterUnsupported: 0x8044_0000,
  BadFilterNotAllowed: 0x8045_0000,
  BadSecurityPolicyRejected: 0x8055_0000,
  BadTooManySessions: 0x8056_0000,
  BadWriteNotSupported: 0x8073_0000,
  BadTypeMismatch: 0x8074_0000,
  BadTooManySubscriptions: 0x8077_0000,
  BadTooManyPublishRequests: 0x8078_0000,
  BadNoSubscription: 0x8079_0000,
  BadMessageNotAvailable: 0x807b_0000,
  BadDeviceFailure: 0x808b_0000,
  BadSensorFailure: 0x808c_0000,
  BadOutOfService: 0x808d_0000,
  BadDeadbandFilterInvalid: 0x808e_0000,
  BadTooManyMonitoredItems: 0x80db_0000,
} as const;

const NAMES = new Map<number, string>(Object.entries(Status).map(([name, code]) => [code, name]));

/** The code without its info bits, for comparing with `Status`. */
export function statusCodeOf(value: number): number {
  return (value & 0xffff_0000) >>> 0;
}

export function isBad(value: number): boolean {
  return (value & 0x8000_0000) !== 0;
}

export function isGood(value: number): boolean {
  return (value & 0xc000_0000) === 0;
}

/** `BadTypeMismatch (0x80740000)`; codes this module does not name are shown in hex only. */
export function describeStatus(value: number, name?: string): string {
  const hex = `0x${(value >>> 0).toString(16).padStart(8, '0').toUpperCase()}`;
  const known = name && name !== 'Unknown' ? name : NAMES.get(statusCodeOf(value));
  return known ? `${known} (${hex})` : hex;
}

/** Codes saying the server could not reach the device behind it: reported as "device not responding". */
const NO_RESPONSE = new Set<number>([
  Status.BadCommunicationError,
  Status.BadTimeout,
  Status.BadServerNotConnected,
  Status.BadNoCommunication,
  Status.BadWaitingForInitialData,
  Status.BadDeviceFailure,
  Status.BadSensorFailure,
  Status.BadOutOfService,
]);

/**
 * The per-tag error number published for a Bad status. Good and Uncertain values are published
 * as values (Uncertain still carries the best value the server has), so they have none.
 */
export function tagErrorForStatus(value: number): number | undefined {
  if (!isBad(value)) return undefined;
  return NO_RESPONSE.has(statusCodeOf(value)) ? TagErrorNumber.DEVICE_NO_RESPONSE : TagErrorNumber.READ_FAILURE;
}
