import type { DestinationStream } from 'pino';
import type { LogLevelOption } from '../common/logging/logger.js';

export interface BrokerConnectionOptions {
  url: string;
  /** CAs trusted for the broker's server certificate; default the fleet CA. */
  caPem?: string[];
  /** Client certificate and key; default a certificate the plane issues itself (CN `edgefleet-control-plane`). */
  certPem?: string;
  keyPem?: string;
  /** Ingest through `$share/…` subscriptions so N replicas split the stream. */
  sharedSubscriptions: boolean;
}

export interface ControlPlaneOptions {
  /** 0 = a random free port. */
  port: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** Migrations are already applied by the caller. */
  databaseUrl: string;
  /** 32 bytes; encrypts secrets at rest (the CA key, the secrets in configs) with AES-256-GCM. */
  masterKey: Buffer;
  /** Default `admin`. */
  adminUsername?: string;
  /** Creates the admin user if no user exists. */
  adminPassword: string;
  broker: BrokerConnectionOptions;
  /** Handed to agents at enrollment, e.g. `mqtts://localhost:8883`. */
  publicBrokerUrl: string;
  /** This API's base URL for bootstrap files; default `http://localhost:{port}`. */
  publicUrl?: string;
  /** Static files served at `/`; default the built console, `console/dist` of the repository. */
  consoleDir?: string;
  /** Keep at most one heartbeat per agent per this many ms as a health sample (1000 – 3600000); default 30000. */
  healthSampleMs?: number;
  /** Requests per client address per minute to sign in (default 10) and to enroll (default 600); beyond them, 429. */
  rateLimits?: { loginPerMinute?: number; enrollmentsPerMinute?: number };
  logger?: LogLevelOption;
  /** Where log lines (JSON) go; default stdout. */
  logDestination?: DestinationStream;
}
