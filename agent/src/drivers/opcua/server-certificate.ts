import { X509Certificate } from 'node:crypto';
import type { ServerCertificateInfo } from '@edgefleet/protocol';

/**
 * Server certificate trust: the operator pins servers by the SHA-256 fingerprint of their
 * certificate's DER encoding (`trustedServerCertificates`). Nothing is trusted silently; an
 * unknown certificate is described so the operator can review it and add its fingerprint.
 */

/**
 * The first certificate of a DER chain. An EndpointDescription's serverCertificate may carry the
 * application certificate followed by its issuers (OPC 10000-6 §6.2.3); the leaf comes first.
 */
export function leafCertificate(chain: Buffer): Buffer {
  // DER SEQUENCE: tag 0x30, then a short (< 0x80) or long (0x8N + N bytes) length (X.690 §8.1.3).
  if (chain.length < 2 || chain[0] !== 0x30) return chain;
  const first = chain[1]!;
  let header = 2;
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 4 || chain.length < 2 + n) return chain;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + chain[2 + i]!;
    header = 2 + n;
  }
  const total = header + length;
  return total < chain.length ? chain.subarray(0, total) : chain;
}

/** Lower-case hex SHA-256 of the certificate's DER, without colons (as the config normalises it). */
export function certificateFingerprint(der: Buffer): string {
  return new X509Certificate(der).fingerprint256.replace(/:/g, '').toLowerCase();
}

/** A distinguished name on one line, most specific first (RFC 4514 order: CN=…, O=…, C=…). */
function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).reverse().join(', ');
}

function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? new Date(0).toISOString() : new Date(t).toISOString();
}

/** What an operator reviews before trusting a certificate (the leaf of `chain`). */
export function describeCertificate(chain: Buffer): ServerCertificateInfo {
  const der = leafCertificate(chain);
  const cert = new X509Certificate(der);
  return {
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    validFrom: isoDate(cert.validFrom),
    validTo: isoDate(cert.validTo),
    pem: cert.toString(),
  };
}

export function isTrustedFingerprint(fingerprint: string, trusted: readonly string[]): boolean {
  const fp = fingerprint.replace(/:/g, '').toLowerCase();
  return trusted.some((t) => t.replace(/:/g, '').toLowerCase() === fp);
}

export function untrustedCertificateMessage(info: Pick<ServerCertificateInfo, 'fingerprint' | 'subject'>): string {
  return `server certificate ${info.fingerprint} (${info.subject}) is not trusted: add its fingerprint to trustedServerCertificates`;
}

/** Thrown by a connection attempt that met a server certificate the operator has not trusted. */
export class UntrustedServerCertificateError extends Error {
  constructor(readonly certificate: ServerCertificateInfo) {
    super(untrustedCertificateMessage(certificate));
    this.name = 'UntrustedServerCertificateError';
  }
}

/**
 * Checks the server certificate of the endpoint about to be used against the trusted
 * fingerprints; throws `UntrustedServerCertificateError` describing it when it is not one of them.
 */
export function assertTrusted(chain: Buffer | null | undefined, trusted: readonly string[]): ServerCertificateInfo {
  if (!chain || chain.length === 0) throw new Error('the server offered no certificate for a secured endpoint');
  const info = describeCertificate(chain);
  if (!isTrustedFingerprint(info.fingerprint, trusted)) throw new UntrustedServerCertificateError(info);
  return info;
}
