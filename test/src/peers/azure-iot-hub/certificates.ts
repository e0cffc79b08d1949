import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../../../control-plane/src/pki/certificate-authority.js';
import { SIGNING_ALGORITHM, exportPrivateKeyPem, generateKeyPair, newSerialNumber, x509 } from '../../../../control-plane/src/pki/x509.js';

/**
 * Certificates for the IoT Hub peer and its devices, made with the fleet PKI code (ECDSA P-256,
 * @peculiar/x509). Azure IoT Hub accepts ECDSA P-256 device certificates.
 */

export interface KeyAndCertificate {
  certPem: string;
  keyPem: string;
}

export { CertificateAuthority };

/** A test CA: signs the peer's server certificate, or plays a verified device CA. */
export async function createTestCa(commonName: string): Promise<CertificateAuthority> {
  return (await CertificateAuthority.create(commonName, 2)).ca;
}

/** A device certificate signed by `ca` with CN = device id (IoT Hub's "CA-signed" device authentication). */
export async function issueDeviceCertificate(ca: CertificateAuthority, deviceId: string): Promise<KeyAndCertificate> {
  const { certPem, keyPem } = await ca.issueClientCertificate(deviceId, 1);
  return { certPem, keyPem };
}

/** A self-signed device certificate (IoT Hub's "self-signed"/thumbprint device authentication). */
export async function createSelfSignedDeviceCertificate(deviceId: string): Promise<KeyAndCertificate> {
  const keys = await generateKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerialNumber(),
    name: `CN=${deviceId}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** The thumbprint IoT Hub registers: SHA-1 (40 hex digits) or SHA-256 (64), upper case, no separators. */
export function thumbprint(certPem: string, algorithm: 'sha1' | 'sha256' = 'sha256'): string {
  const cert = new X509Certificate(certPem);
  return (algorithm === 'sha1' ? cert.fingerprint : cert.fingerprint256).replaceAll(':', '').toUpperCase();
}
