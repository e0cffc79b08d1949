import { SIGNING_ALGORITHM, exportPrivateKeyPem, generateKeyPair, x509 } from '../pki/x509.js';

/** A box's key pair and CSR, as the agent makes them (ECDSA P-256). */
export async function makeCsr(cn = 'box'): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys, signingAlgorithm: SIGNING_ALGORITHM });
  return { csrPem: csr.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}
