import { X509Certificate } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OPCUACertificateManager, OpcUaLibrary } from './opcua-lib.js';

export const APPLICATION_NAME = 'EdgeFleet Agent';

/** The agent's OPC UA application instance: its certificate store, certificate and identity. */
export interface ApplicationCertificate {
  certificateManager: OPCUACertificateManager;
  certificateFile: string;
  privateKeyFile: string;
  applicationName: string;
  /** From the certificate's subjectAltName, so the two always agree (servers check it). */
  applicationUri: string;
  /** SHA-256 of the certificate, for an operator trusting the agent on a server. */
  fingerprint: string;
  /** SHA-1 thumbprint: what most OPC UA servers show in their certificate lists. */
  thumbprint: string;
}

interface Shared {
  promise: Promise<ApplicationCertificate>;
  users: number;
}

const stores = new Map<string, Shared>();

export function pkiFolder(stateDir: string): string {
  return path.join(stateDir, 'opcua', 'pki');
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.size > 0,
    () => false,
  );
}

async function open(lib: OpcUaLibrary, rootFolder: string): Promise<ApplicationCertificate> {
  const certificateManager = new lib.certificates.OPCUACertificateManager({
    rootFolder,
    // Server certificates are trusted by fingerprint (trustedServerCertificates), never by
    // what happens to be in this store, and never automatically.
    automaticallyAcceptUnknownCertificate: false,
    disableFileWatchers: true,
    keySize: 2048,
  });
  await certificateManager.initialize();
  const certificateFile = path.join(certificateManager.rootDir, 'own', 'certs', 'client_certificate.pem');
  const privateKeyFile = certificateManager.privateKey;
  if (!(await exists(certificateFile))) {
    const hostname = os.hostname();
    await certificateManager.createSelfSignedCertificate({
      applicationUri: `urn:${hostname}:EdgeFleet:Agent`,
      dns: [hostname],
      subject: `/CN=${APPLICATION_NAME}@${hostname}/O=EdgeFleet`,
      startDate: new Date(),
      validity: 3650,
      outputFile: certificateFile,
    });
  }
  await chmod(privateKeyFile, 0o600).catch(() => undefined);
  const cert = new X509Certificate(await readFile(certificateFile));
  // Created once and kept: a later host rename must not change the URI the servers know.
  const uri = /URI:([^,]+)/.exec(cert.subjectAltName ?? '')?.[1]?.trim();
  if (!uri) throw new Error(`the OPC UA application certificate ${certificateFile} has no application URI in its subjectAltName`);
  return {
    certificateManager,
    certificateFile,
    privateKeyFile,
    applicationName: APPLICATION_NAME,
    applicationUri: uri,
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    thumbprint: cert.fingerprint.replace(/:/g, '').toLowerCase(),
  };
}

/**
 * The application certificate under `<stateDir>/opcua/pki`: created on first use, reused across
 * restarts. Devices of one agent share it (one store per state dir in the process); release it
 * when done so the store is closed after the last device stops.
 */
export async function acquireApplicationCertificate(lib: OpcUaLibrary, stateDir: string): Promise<ApplicationCertificate> {
  const rootFolder = pkiFolder(stateDir);
  let shared = stores.get(rootFolder);
  if (!shared) {
    shared = { promise: open(lib, rootFolder), users: 0 };
    stores.set(rootFolder, shared);
    shared.promise.catch(() => stores.delete(rootFolder));
  }
  shared.users++;
  try {
    return await shared.promise;
  } catch (err) {
    shared.users--;
    throw err;
  }
}

export async function releaseApplicationCertificate(stateDir: string): Promise<void> {
  const rootFolder = pkiFolder(stateDir);
  const shared = stores.get(rootFolder);
  if (!shared) return;
  shared.users--;
  if (shared.users > 0) return;
  stores.delete(rootFolder);
  const app = await shared.promise.catch(() => undefined);
  await app?.certificateManager.dispose();
}
