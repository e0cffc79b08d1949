import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../test-support/fixtures.js';
import { loadOpcUa } from './opcua-lib.js';
import { assertTrusted, certificateFingerprint, describeCertificate, isTrustedFingerprint, leafCertificate, UntrustedServerCertificateError } from './server-certificate.js';

async function selfSigned(dir: string, cn: string): Promise<Buffer> {
  const { certificates } = await loadOpcUa(silentLog);
  const cm = new certificates.OPCUACertificateManager({ rootFolder: path.join(dir, cn), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await cm.initialize();
  const file = path.join(dir, `${cn}.pem`);
  await cm.createSelfSignedCertificate({ applicationUri: `urn:${cn}`, dns: ['localhost'], subject: `/CN=${cn}/O=Test`, startDate: new Date(), validity: 30, outputFile: file });
  await cm.dispose();
  return new X509Certificate(await readFile(file)).raw;
}

describe('server certificate trust', () => {
  let dir: string;
  let server: Buffer;
  let issuer: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ef-opcua-cert-'));
    server = await selfSigned(dir, 'plc-server');
    issuer = await selfSigned(dir, 'plant-ca');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fingerprints the DER with SHA-256, lower-case hex', () => {
    const fp = certificateFingerprint(server);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fp).toBe(new X509Certificate(server).fingerprint256.replace(/:/g, '').toLowerCase());
  });

  it('takes the leaf of a certificate chain', () => {
    const chain = Buffer.concat([server, issuer]);
    expect(leafCertificate(chain).equals(server)).toBe(true);
    expect(leafCertificate(server).equals(server)).toBe(true);
    expect(describeCertificate(chain).subject).toBe('CN=plc-server, O=Test');
  });

  it('describes a certificate for review', () => {
    const info = describeCertificate(server);
    expect(info.fingerprint).toBe(certificateFingerprint(server));
    expect(info.issuer).toBe('CN=plc-server, O=Test');
    expect(Date.parse(info.validTo) - Date.parse(info.validFrom)).toBeGreaterThan(29 * 86_400_000);
    expect(info.pem).toContain('BEGIN CERTIFICATE');
  });

  it('trusts only pinned fingerprints, whatever their case or colons', () => {
    const fp = certificateFingerprint(server);
    const colons = fp.toUpperCase().match(/../g)!.join(':');
    expect(isTrustedFingerprint(fp, [colons])).toBe(true);
    expect(assertTrusted(server, [fp]).fingerprint).toBe(fp);
    let refused: unknown;
    try {
      assertTrusted(server, [certificateFingerprint(issuer)]);
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(UntrustedServerCertificateError);
    expect((refused as Error).message).toBe(`server certificate ${fp} (CN=plc-server, O=Test) is not trusted: add its fingerprint to trustedServerCertificates`);
    expect((refused as UntrustedServerCertificateError).certificate.fingerprint).toBe(fp);
    expect(() => assertTrusted(null, [fp])).toThrow('the server offered no certificate for a secured endpoint');
  });
});
