import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnrollmentRequestSchema } from '@edgefleet/protocol';
import { silentLog } from '../test-support/fixtures.js';
import { enroll, EnrollmentRefused } from './enroll.js';
import { loadCredentials, loadIdentity } from './state-dir.js';
import './csr.js'; // sets the WebCrypto provider for x509
import * as x509 from '@peculiar/x509';

type Handler = (body: unknown, req: IncomingMessage) => { status: number; body: unknown };

describe('enroll', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let handler: Handler;
  let calls = 0;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-enroll-'));
    calls = 0;
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        calls++;
        const out = handler(JSON.parse(text), req);
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends a valid request with a verifiable CSR and stores the identity, the key with mode 0600', async () => {
    handler = (body, req) => {
      expect(req.url).toBe('/api/v1/enrollments');
      const parsed = EnrollmentRequestSchema.parse(body);
      expect(parsed).toMatchObject({ token: 'tok-0123456789abcdef', hardwareId: 'hw-9', name: 'press-7', facts: { agentVersion: expect.any(String), nodeVersion: process.version } });
      expect(new x509.Pkcs10CertificateRequest(parsed.csr).publicKey.algorithm).toMatchObject({ name: 'ECDSA' });
      return {
        status: 201,
        body: { agentId: 'a-1', fleetId: 'f-1', name: 'press-7', certificate: 'CERT', certificateExpiresAt: '2030-01-01T00:00:00.000Z', caChain: ['CA'], brokerUrl: 'mqtts://b:8883' },
      };
    };
    const identity = await enroll(dir, { controlPlaneUrl: url, token: 'tok-0123456789abcdef', hardwareId: 'hw-9', name: 'press-7' }, { log: silentLog });
    expect(identity).toMatchObject({ agentId: 'a-1', hardwareId: 'hw-9', brokerUrl: 'mqtts://b:8883' });
    expect(await loadIdentity(dir)).toEqual(identity);
    const creds = await loadCredentials(dir);
    expect(creds.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(creds.certPem).toBe('CERT');
    expect((await stat(join(dir, 'agent.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'identity.json'), 'utf8')).not.toContain('PRIVATE');
  });

  it('surfaces the code and message of a 4xx and does not retry', async () => {
    handler = () => ({ status: 401, body: { statusCode: 401, code: 'TOKEN_EXPIRED', message: 'The enrollment token has expired' } });
    const err = await enroll(dir, { controlPlaneUrl: url, token: 'tok-0123456789abcdef', hardwareId: 'hw' }, { log: silentLog }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrollmentRefused);
    expect((err as EnrollmentRefused).code).toBe('TOKEN_EXPIRED');
    expect((err as Error).message).toContain('The enrollment token has expired');
    expect(calls).toBe(1);
    expect(await loadIdentity(dir)).toBeUndefined();
  });

  it('retries a 5xx', async () => {
    handler = () => ({ status: 503, body: { statusCode: 503, code: 'INTERNAL', message: 'busy' } });
    const err = await enroll(dir, { controlPlaneUrl: url, token: 'tok-0123456789abcdef', hardwareId: 'hw' }, { log: silentLog, maxAttempts: 2 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/after 2 attempts.*503/);
    expect(calls).toBe(2);
  }, 10_000);
});
