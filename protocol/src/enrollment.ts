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
