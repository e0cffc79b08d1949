import { createHash } from 'node:crypto';
import { CsrError } from '../pki/certificate-authority.js';
import { x509 } from '../pki/x509.js';

/**
 * SHA-256 (lowercase hex) of the DER SubjectPublicKeyInfo a PEM CSR carries, after checking the
 * CSR's self-signature: a pending enrollment is bound to this key, and an agent records the key of
 * the certificate it is issued, so a request only counts when its sender holds the private key.
 * The CA checks the CSR again when it signs.
 */
export async function csrKeySha256(csrPem: string): Promise<string> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CsrError(`the CSR could not be parsed: ${(err as Error).message}`);
  }
  const valid = await csr.verify().catch(() => false);
  if (!valid) throw new CsrError('the CSR signature does not verify');
  return createHash('sha256').update(Buffer.from(csr.publicKey.rawData)).digest('hex');
}
