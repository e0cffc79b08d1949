import { randomBytes } from 'node:crypto';
import { createControlPlane, type ControlPlane } from '../app/create-control-plane.js';
import type { ControlPlaneOptions } from '../config/control-plane-options.js';
import { apiClient } from './http.js';
import { makeCsr } from './csr.js';

export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/** A plane on a random port against the given database; the broker URL defaults to a closed port. */
export async function startTestPlane(databaseUrl: string, over: Partial<ControlPlaneOptions> = {}): Promise<ControlPlane> {
  return createControlPlane({
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    masterKey: randomBytes(32),
    adminPassword: TEST_ADMIN_PASSWORD,
    broker: { url: 'mqtts://127.0.0.1:1', sharedSubscriptions: false },
    publicBrokerUrl: 'mqtts://localhost:8883',
    logger: false,
    ...over,
  });
}

export async function login(plane: ControlPlane) {
  const anon = apiClient(plane.url);
  const res = await anon<{ token: string }>('POST', '/api/v1/auth/login', { username: 'admin', password: TEST_ADMIN_PASSWORD });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return apiClient(plane.url, res.body.token);
}

/** Enrolls one agent through the API with a fresh token and CSR; returns its id. */
export async function enrollTestAgent(plane: ControlPlane, api: Awaited<ReturnType<typeof login>>, hardwareId: string): Promise<string> {
  const fleetId = (await api<{ id: string }[]>('GET', '/api/v1/fleets')).body[0]!.id;
  const tok = await api<{ token: string }>('POST', `/api/v1/fleets/${fleetId}/enrollment-tokens`, {});
  const res = await apiClient(plane.url)<{ agentId: string }>('POST', '/api/v1/enrollments', { token: tok.body.token, hardwareId, csr: (await makeCsr()).csrPem });
  if (res.status !== 201) throw new Error(`enrollment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.agentId;
}
