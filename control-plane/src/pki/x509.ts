import 'reflect-metadata'; // @peculiar/x509 uses tsyringe, which needs the Reflect metadata API
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * X.509 primitives for the fleet CA, built on @peculiar/x509 (maintained by PeculiarVentures,
 * WebCrypto-based, supports ECDSA and PKCS#10): Node's own crypto can verify certificates but
 * cannot create or sign them.
 *
 * Keys are ECDSA P-256: fast to generate and sign on small edge boxes, and accepted by
 * Mosquitto, EMQX, AWS IoT and Azure IoT alike.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const SIGNING_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(SIGNING_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, SIGNING_ALGORITHM, true, ['sign']);
}

/** A positive 128-bit serial number, hex (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function newSerialNumber(): string {
  const bytes = randomBytes(16);
  // Positive (top bit clear) and with a non-zero first byte, so the DER integer is these 16 bytes
  // as they are: the serial stored and the one a parser reads back from the certificate match.
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** sha256 fingerprint of a PEM certificate, lowercase hex without separators. */
export function certificateFingerprint(pem: string): string {
  return createHash('sha256').update(Buffer.from(x509.PemConverter.decodeFirst(pem))).digest('hex');
}

export { x509 };
