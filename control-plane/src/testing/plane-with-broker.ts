import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { ControlPlane } from '../app/create-control-plane.js';
import type { ControlPlaneOptions } from '../config/control-plane-options.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../embedded/broker/index.js';
import { loadOrCreateCertificateAuthority } from '../pki/ca-store.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { eventually } from './eventually.js';
import { apiClient } from './http.js';
import { login, startTestPlane } from './plane.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface PlaneWithBroker {
  db: TestDatabase;
  ca: CertificateAuthority;
  broker: EmbeddedBroker;
  plane: ControlPlane;
  /** The REST API as the logged-in admin. */
  api: Awaited<ReturnType<typeof login>>;
  /** The `default` fleet. */
  fleetId: string;
  close(): Promise<void>;
}

/**
 * A real plane on a fresh database, connected to the embedded mTLS broker (plain subscriptions),
 * with the admin logged in: what the plane's integration tests that play an agent start from.
 * `over` adds plane options (e.g. a log destination to inspect).
 */
export async function startPlaneWithBroker(over: Partial<ControlPlaneOptions> = {}): Promise<PlaneWithBroker> {
  const db = await createTestDatabase();
  const masterKey = randomBytes(32);
  const ca = await loadOrCreateCertificateAuthority(db.url, masterKey);
  const server = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 30);
  const broker = await startEmbeddedBroker({ port: 0, host: '127.0.0.1', tls: { keyPem: server.keyPem, certPem: server.certPem, caPem: [ca.certPem] } });
  const plane = await startTestPlane(db.url, { ...over, masterKey, broker: { url: broker.url, sharedSubscriptions: false } });
  const api = await login(plane);
  const fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
  await eventually(async () => expect((await apiClient(plane.url)('GET', '/api/v1/health')).body).toMatchObject({ broker: 'connected' }));
  return {
    db,
    ca,
    broker,
    plane,
    api,
    fleetId,
    close: async () => {
      await plane.close();
      await broker.close();
      await db.drop();
    },
  };
}
