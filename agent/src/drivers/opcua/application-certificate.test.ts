import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../test-support/fixtures.js';
import { acquireApplicationCertificate, pkiFolder, releaseApplicationCertificate } from './application-certificate.js';
import { loadOpcUa } from './opcua-lib.js';

describe('OPC UA application certificate', () => {
  let stateDir: string;
  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'ef-opcua-pki-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is created once under <stateDir>/opcua/pki and reused after a restart', async () => {
    const lib = await loadOpcUa(silentLog);
    const first = await acquireApplicationCertificate(lib, stateDir);
    expect(first.certificateFile).toBe(path.join(pkiFolder(stateDir), 'own', 'certs', 'client_certificate.pem'));
    expect(first.privateKeyFile.startsWith(path.join(stateDir, 'opcua', 'pki'))).toBe(true);
    const cert = new X509Certificate(await readFile(first.certificateFile));
    expect(cert.subjectAltName).toContain(`URI:${first.applicationUri}`);
    expect(first.applicationUri).toMatch(/^urn:.+:EdgeFleet:Agent$/);
    expect(first.fingerprint).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
    expect((await stat(first.privateKeyFile)).mode & 0o077).toBe(0);
    // Devices of one agent share the store.
    const second = await acquireApplicationCertificate(lib, stateDir);
    expect(second).toBe(first);
    await releaseApplicationCertificate(stateDir);
    await releaseApplicationCertificate(stateDir);

    // A new process (a fresh store object) finds the same certificate.
    const again = await acquireApplicationCertificate(lib, stateDir);
    expect(again).not.toBe(first);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.applicationUri).toBe(first.applicationUri);
    await releaseApplicationCertificate(stateDir);
  });

  it('never accepts unknown server certificates into its store', async () => {
    const lib = await loadOpcUa(silentLog);
    const app = await acquireApplicationCertificate(lib, stateDir);
    try {
      expect(app.certificateManager.automaticallyAcceptUnknownCertificate).toBe(false);
    } finally {
      await releaseApplicationCertificate(stateDir);
    }
  });
});
