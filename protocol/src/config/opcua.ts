import { z } from 'zod';
import { secret } from './secret.js';

/**
 * OPC UA devices: the endpoint, its security, the user identity, and which server certificates
 * the operator has trusted. Tags are addressed by NodeId.
 */

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const OPCUA_SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export type OpcUaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];
export type OpcUaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

/**
 * A certificate's SHA-256 fingerprint: 64 hex digits, optionally in colon-separated pairs, any
 * case. Normalised to lower-case hex without colons.
 */
export const CertificateFingerprintSchema = z
  .string()
  .regex(/^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, 'must be a SHA-256 fingerprint (64 hex digits, colons optional)')
  .transform((s) => s.replace(/:/g, '').toLowerCase());

export const OpcUaUserIdentitySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('anonymous') }).strict(),
  z.object({ type: z.literal('username'), username: z.string().min(1).max(256), password: secret(z.string().max(1024)) }).strict(),
  z
    .object({
      type: z.literal('certificate'),
      /** The user's X.509 certificate and its private key, PEM. */
      certificatePem: z.string().includes('BEGIN CERTIFICATE', { message: 'must be a PEM certificate' }),
      privateKeyPem: secret(z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' })),
    })
    .strict(),
]);
export type OpcUaUserIdentity = z.output<typeof OpcUaUserIdentitySchema>;

export const OpcUaSettingsSchema = z
  .object({
    endpointUrl: z.string().max(1024).regex(/^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/.*)?$/, "must be an opc.tcp:// URL, e.g. 'opc.tcp://plc1:4840'"),
    securityMode: z.enum(OPCUA_SECURITY_MODES).default('None'),
    securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).default('None'),
    userIdentity: OpcUaUserIdentitySchema.default({ type: 'anonymous' }),
    /**
     * SHA-256 fingerprints of the server certificates the operator trusts. With security other
     * than None, the agent connects only to a server presenting one of these; an unknown one is
     * reported (fingerprint, subject, validity) so it can be reviewed and added.
     */
    trustedServerCertificates: z.array(CertificateFingerprintSchema).max(32).default([]),
    /** Timeout of one service request (read, write, browse, connect). */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    sessionTimeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
    /** Reconnection backoff after a lost connection or session: starts here, doubles, capped. */
    reconnectMinMs: z.number().int().min(100).max(600_000).default(1000),
    reconnectMaxMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.securityMode === 'None') !== (s.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: s.securityMode === 'None' ? "must be 'None' when securityMode is 'None'" : `must not be 'None' with securityMode '${s.securityMode}'`,
      });
    }
    if (s.reconnectMaxMs < s.reconnectMinMs) ctx.addIssue({ code: 'custom', path: ['reconnectMaxMs'], message: 'must be at least reconnectMinMs' });
  });
export type OpcUaSettings = z.output<typeof OpcUaSettingsSchema>;

export type OpcUaNodeIdParse = { ok: true; value: { namespace: number | string; kind: 'i' | 's' | 'g' | 'b'; identifier: string } } | { ok: false; message: string };

const NODE_ID_RE = /^(?:(?:ns=(\d{1,5})|nsu=([^;]+));)?(i|s|g|b)=(.+)$/s;
const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses a NodeId in the OPC UA string form: `ns=2;s=Line1.Speed`, `i=2258`, `ns=3;i=1001`,
 * `ns=1;g=09087e75-8e5e-499b-954f-f2a9603db28a`, `ns=1;b=M/RbKBsRVkePCePcx24oRA==`, or with a
 * namespace URI: `nsu=urn:plc;s=Speed`.
 */
export function parseOpcUaNodeId(text: string): OpcUaNodeIdParse {
  const m = NODE_ID_RE.exec(text);
  const bad = (why: string): OpcUaNodeIdParse => ({ ok: false, message: `'${text}' is not a NodeId: ${why}` });
  if (!m) return bad("expected [ns=<index>;]i=|s=|g=|b=<identifier>, e.g. 'ns=2;s=Line1.Speed' or 'i=2258'");
  const [, ns, nsu, kind, identifier] = m as unknown as [string, string | undefined, string | undefined, 'i' | 's' | 'g' | 'b', string];
  const namespace = nsu ?? Number(ns ?? 0);
  if (typeof namespace === 'number' && namespace > 65_535) return bad('the namespace index is at most 65535');
  if (kind === 'i' && !/^\d{1,10}$/.test(identifier)) return bad('a numeric identifier (i=) is a whole number');
  if (kind === 'i' && Number(identifier) > 4_294_967_295) return bad('a numeric identifier (i=) is at most 4294967295');
  if (kind === 'g' && !GUID_RE.test(identifier)) return bad('a GUID identifier (g=) looks like 09087e75-8e5e-499b-954f-f2a9603db28a');
  if (kind === 'b' && !BASE64_RE.test(identifier)) return bad('an opaque identifier (b=) is base64');
  if (kind === 's' && identifier.length > 4096) return bad('a string identifier is at most 4096 characters');
  return { ok: true, value: { namespace, kind, identifier } };
}

/** How a group of an OPC UA device gets its values. */
export const ACQUISITION_MODES = ['poll', 'subscribe'] as const;
export type AcquisitionMode = (typeof ACQUISITION_MODES)[number];
