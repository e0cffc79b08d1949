import { type CryptoKey, x509, SIGNING_ALGORITHM, exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, newSerialNumber, certificateFingerprint } from './x509.js';

const DAY_MS = 86_400_000;

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  serialNumber: string;
  notAfter: Date;
}

export class CsrError extends Error {}

/**
 * The fleet certificate authority: signs agents' client certificates (CN = agent id) from their
 * CSRs, and server/service certificates for brokers and control-plane replicas.
 */
export class CertificateAuthority {
  private constructor(
    readonly certPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  static async create(commonName = 'EdgeFleet Fleet CA', validityDays = 3650): Promise<{ ca: CertificateAuthority; material: CaMaterial }> {
    const keys = await generateKeyPair();
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: newSerialNumber(),
      name: `CN=${commonName}, O=EdgeFleet`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + validityDays * DAY_MS),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const material = { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
    return { ca: new CertificateAuthority(material.certPem, cert, keys.privateKey), material };
  }

  static async load(material: CaMaterial): Promise<CertificateAuthority> {
    const cert = new x509.X509Certificate(material.certPem);
    const key = await importPrivateKeyPem(material.keyPem);
    return new CertificateAuthority(cert.toString('pem'), cert, key);
  }

  get fingerprint(): string {
    return certificateFingerprint(this.certPem);
  }

  /**
   * Verifies a PEM CSR's self-signature and signs a client certificate for it. The subject is
   * set by the CA (CN = `commonName`), never taken from the CSR, so a box cannot ask for
   * another box's identity.
   */
  async signClientCsr(csrPem: string, commonName: string, validityDays: number): Promise<IssuedCertificate> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (err) {
      throw new CsrError(`the CSR could not be parsed: ${(err as Error).message}`);
    }
    let valid = false;
    try {
      valid = await csr.verify();
    } catch {
      valid = false;
    }
    if (!valid) throw new CsrError('the CSR signature does not verify');
    const algorithm = csr.publicKey.algorithm as { name: string; namedCurve?: string };
    if (algorithm.name !== 'ECDSA' && algorithm.name !== 'RSASSA-PKCS1-v1_5' && algorithm.name !== 'RSA-PSS') {
      throw new CsrError(`unsupported key algorithm ${algorithm.name}`);
    }
    return this.issue(commonName, await csr.publicKey.export(), validityDays, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    ]);
  }

  /** A server certificate for a broker or the control plane (serverAuth and clientAuth, with SANs). */
  async issueServerCertificate(commonName: string, hosts: string[], validityDays: number): Promise<IssuedCertificate & { keyPem: string }> {
    const keys = await generateKeyPair();
    const names = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
    const issued = await this.issue(commonName, keys.publicKey, validityDays, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension(names, false),
    ]);
    return { ...issued, keyPem: await exportPrivateKeyPem(keys.privateKey) };
  }

  /** A client certificate with a key generated here (for services such as the control plane itself). */
  async issueClientCertificate(commonName: string, validityDays: number): Promise<IssuedCertificate & { keyPem: string }> {
    const keys = await generateKeyPair();
    const issued = await this.issue(commonName, keys.publicKey, validityDays, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    ]);
    return { ...issued, keyPem: await exportPrivateKeyPem(keys.privateKey) };
  }

  private async issue(commonName: string, publicKey: CryptoKey, validityDays: number, extra: x509.Extension[]): Promise<IssuedCertificate> {
    const now = Date.now();
    const serialNumber = newSerialNumber();
    const notAfter = new Date(now + validityDays * DAY_MS);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: `CN=${commonName}`,
      issuer: this.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter,
      publicKey,
      signingKey: this.key,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert, false),
        ...extra,
      ],
    });
    return { certPem: cert.toString('pem'), serialNumber, notAfter };
  }
}
