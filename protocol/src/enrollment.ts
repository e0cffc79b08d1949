import { z } from 'zod';
import { IsoTimeSchema } from './messages/common.js';

/**
 * What a box image carries: enough to enroll by itself on first boot. Written by the console or
 * `POST /api/v1/fleets/{id}/enrollment-tokens`, read by `edgefleet-agent enroll --bootstrap FILE`.
 */
export const BootstrapFileSchema = z
  .object({
    controlPlaneUrl: z.url({ protocol: /^https?$/ }),
    token: z.string().min(16).max(256),
    /** sha256 fingerprint (hex) of the control plane's CA certificate, pinned by the agent. */
    caFingerprint: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
export type BootstrapFile = z.infer<typeof BootstrapFileSchema>;

/** Facts the agent reports about its box at enrollment. */
export const AgentFactsSchema = z
  .object({
    hostname: z.string().max(255).optional(),
    os: z.string().max(255).optional(),
    arch: z.string().max(64).optional(),
    agentVersion: z.string().max(64).optional(),
    nodeVersion: z.string().max(64).optional(),
  })
  .catchall(z.union([z.string().max(1024), z.number(), z.boolean()]));
export type AgentFacts = z.infer<typeof AgentFactsSchema>;

/** `POST /api/v1/enrollments` — the CSR's key was generated on the box and never leaves it. */
export const EnrollmentRequestSchema = z
  .object({
    token: z.string().min(16).max(256),
    hardwareId: z.string().min(1).max(256),
    name: z.string().min(1).max(128).optional(),
    facts: AgentFactsSchema.default({}),
    csr: z.string().min(1).max(16_384).includes('BEGIN CERTIFICATE REQUEST', { message: 'must be a PEM certificate signing request' }),
  })
  .strict();
export type EnrollmentRequest = z.infer<typeof EnrollmentRequestSchema>;

export const EnrollmentResponseSchema = z.object({
  agentId: z.string(),
  fleetId: z.string(),
  name: z.string(),
  /** PEM client certificate, CN = agentId, signed by the fleet CA. */
  certificate: z.string(),
  certificateExpiresAt: IsoTimeSchema,
  /** PEM CA certificates the agent trusts for the broker's server certificate. */
  caChain: z.array(z.string()).min(1),
  /** Where to connect, e.g. `mqtts://broker.example.com:8883`. */
  brokerUrl: z.string(),
});
export type EnrollmentResponse = z.infer<typeof EnrollmentResponseSchema>;

/** How long a box waits between two polls of a pending enrollment, unless the control plane says otherwise. */
export const DEFAULT_ENROLLMENT_RETRY_AFTER_SEC = 15;

/**
 * `202` to `POST /api/v1/enrollments` when the token requires approval and an operator has not
 * approved the box yet. No certificate is issued: the box sends the same request (same CSR, so the
 * same key) again after `retryAfterSec`, and gets `EnrollmentResponse` once approved,
 * `403 ENROLLMENT_REJECTED` once rejected.
 */
export const EnrollmentPendingSchema = z.object({
  status: z.literal('pending'),
  agentId: z.string(),
  fleetId: z.string(),
  /** Seconds until the box should ask again. */
  retryAfterSec: z.number().int().min(1),
});
export type EnrollmentPending = z.infer<typeof EnrollmentPendingSchema>;
