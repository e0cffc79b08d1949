import { randomBytes } from 'node:crypto';
import { createControlPlane, loadOrCreateCertificateAuthority } from '@edgefleet/control-plane';
import { LoginResponseSchema } from '@edgefleet/protocol';
import type { z } from 'zod';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../control-plane/dist/embedded/broker/index.js';
import { HttpApi } from '../../../control-plane/dist/embedded/http-api.js';

export type ControlPlane = Awaited<ReturnType<typeof createControlPlane>>;
export type CertificateAuthority = Awaited<ReturnType<typeof loadOrCreateCertificateAuthority>>;

export interface StackOptions {
  /** A migrated database to use; default a fresh copy of the test template (`createTestDatabase`). */
  databaseUrl?: string;
  adminPassword?: string;
  /** Control-plane log level; default silent. */
  logger?: false | 'error' | 'info' | 'debug';
  /** How often the plane keeps a health sample per agent; default the plane's own (30 s). */
  healthSampleMs?: number;
  /** The plane's per-address limits; default its own (benchmarks raise them: all their requests come from 127.0.0.1). */
  rateLimits?: { loginPerMinute?: number; enrollmentsPerMinute?: number };
}

export interface Stack {
  controlPlane: ControlPlane;
  /** The running broker (a new object after `startBroker()`). */
  readonly broker: EmbeddedBroker;
  ca: CertificateAuthority;
  databaseUrl: string;
  /** e.g. `http://127.0.0.1:41234` */
  apiUrl: string;
  adminPassword: string;
  /** Bearer token of the logged-in admin. */
  token: string;
  /** Calls the REST API as the admin; throws `ApiRequestError` on a non-2xx answer. */
  api<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S): Promise<z.output<S>>;
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  /** The status and body, whatever the status. */
  send(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Simulates a broker outage. */
  stopBroker(): Promise<void>;
  /** Brings the broker back on the same port. */
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole control side in-process for end-to-end tests and benchmarks: a migrated database,
 * the fleet CA, the embedded broker and the control plane, all on random ports, with the admin
 * logged in. Agents are separate processes (`spawnAgent`).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
  };
  try {
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      // Imported here: database.js needs the vitest runner, benchmarks pass their own database.
      const { createTestDatabase } = await import('./database.js');
      const db = await createTestDatabase();
      cleanups.push(db.drop);
      databaseUrl = db.url;
    }
    const masterKey = randomBytes(32);
    const adminPassword = opts.adminPassword ?? `test-${randomBytes(9).toString('base64url')}`;
    const ca = await loadOrCreateCertificateAuthority(databaseUrl, masterKey);
    const serverCert = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 30);
    const brokerOptions = { host: '127.0.0.1', tls: { keyPem: serverCert.keyPem, certPem: serverCert.certPem, caPem: [ca.certPem] } };

    let broker: EmbeddedBroker | undefined = await startEmbeddedBroker({ ...brokerOptions, port: 0 });
    const brokerPort = broker.port;
    const brokerUrl = broker.url;
    cleanups.push(async () => broker?.close());

    const controlPlane = await createControlPlane({
      port: 0,
      host: '127.0.0.1',
      databaseUrl,
      masterKey,
      adminPassword,
      broker: { url: brokerUrl, caPem: [ca.certPem], sharedSubscriptions: false },
      publicBrokerUrl: brokerUrl,
      logger: opts.logger ?? false,
      ...(opts.healthSampleMs !== undefined ? { healthSampleMs: opts.healthSampleMs } : {}),
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    });
    cleanups.push(() => controlPlane.close());
    const apiUrl = `http://127.0.0.1:${controlPlane.port}`;
    const http = new HttpApi(apiUrl);
    const login = await http.request('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword }, LoginResponseSchema);
    http.token = login.token;

    const stack: Stack = {
      controlPlane,
      get broker(): EmbeddedBroker {
        if (!broker) throw new Error('the broker is stopped');
        return broker;
      },
      ca,
      databaseUrl,
      apiUrl,
      adminPassword,
      token: login.token,
      api: ((method: string, path: string, body?: unknown, schema?: z.ZodType) =>
        schema ? http.request(method, path, body, schema) : http.request(method, path, body)) as Stack['api'],
      send: (method, path, body) => http.send(method, path, body),
      stopBroker: async () => {
        const running = broker;
        broker = undefined;
        await running?.close();
      },
      startBroker: async () => {
        if (broker) return;
        broker = await startEmbeddedBroker({ ...brokerOptions, port: brokerPort });
      },
      close,
    };
    return stack;
  } catch (err) {
    await close();
    throw err;
  }
}
