import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs Reflect metadata
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** ECDSA P-256: cheap on small boxes and accepted by every broker and cloud the agent talks to. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

/**
 * Generates the agent's key pair on the box and a PKCS#10 request for it. The subject is only a
 * hint: the fleet CA sets the CN to the agent id it assigns.
 */
export async function generateKeyAndCsr(subjectHint: string): Promise<KeyAndCsr> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${subjectHint.replace(/[,=+<>#;"\\]/g, '_')}`,
    keys,
    signingAlgorithm: ALGORITHM,
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}

/** sha256 of a PEM certificate's DER, lowercase hex: the form of `BootstrapFile.caFingerprint`. */
export async function certificateFingerprint(pem: string): Promise<string> {
  const der = x509.PemConverter.decodeFirst(pem);
  const digest = await webcrypto.subtle.digest('SHA-256', der);
  return Buffer.from(digest).toString('hex');
}
