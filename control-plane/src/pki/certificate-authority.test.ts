import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CertificateAuthority, CsrError } from './certificate-authority.js';
import { SIGNING_ALGORITHM, exportPrivateKeyPem, generateKeyPair, x509 } from './x509.js';

async function makeCsr(cn = 'ignored'): Promise<{ csrPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys, signingAlgorithm: SIGNING_ALGORITHM });
  return { csrPem: csr.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

describe('CertificateAuthority', () => {
  it('signs a CSR with the CN it chooses, and the result completes a mutual TLS handshake', async () => {
    const { ca, material } = await CertificateAuthority.create();
    const reloaded = await CertificateAuthority.load(material);
    expect(reloaded.fingerprint).toBe(ca.fingerprint);
    const { csrPem, keyPem } = await makeCsr('someone-else');
    const client = await reloaded.signClientCsr(csrPem, 'agent-42', 30);
    expect(new x509.X509Certificate(client.certPem).subject).toBe('CN=agent-42');
    const server = await ca.issueServerCertificate('broker', ['localhost', '127.0.0.1'], 30);

    const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: [ca.certPem], requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.end(`hello ${socket.getPeerCertificate().subject.CN}`);
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as AddressInfo).port;
    const sock = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', key: keyPem, cert: client.certPem, ca: [ca.certPem] });
    let text = '';
    sock.on('data', (d) => (text += d.toString()));
    await once(sock, 'end');
    srv.close();
    expect(text).toBe('hello agent-42');
  });

  it('rejects a CSR whose signature does not verify', async () => {
    const { ca } = await CertificateAuthority.create();
    const { csrPem } = await makeCsr();
    const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
    der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff;
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expect(ca.signClientCsr(tampered, 'x', 1)).rejects.toBeInstanceOf(CsrError);
    await expect(ca.signClientCsr('not a csr', 'x', 1)).rejects.toBeInstanceOf(CsrError);
  });
});
