import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PLANE_IDENTITY, configDigest, topics } from '@edgefleet/protocol';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../control-plane/src/embedded/broker/index.js';
import { CertificateAuthority } from '../../../control-plane/src/pki/certificate-authority.js';
import { generateKeyAndCsr, readStatusFile, saveIdentity, statePaths } from '../../../agent/src/index.js';

/**
 * The `edgefleet-agent` binary as an operator runs it: `run` connects and applies the retained
 * config, `status` prints status.json, SIGTERM says offline and exits 0.
 */
const repo = resolve(import.meta.dirname, '../../..');
const cli = join(repo, 'agent/dist/cli.js');
const run = promisify(execFile);

let broker: EmbeddedBroker;
let plane: MqttClient;
let stateDir: string;
let child: ChildProcess | undefined;
const agentId = randomUUID();
const received: Array<{ topic: string; payload: string }> = [];

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  // The binary runs from dist: build the agent (and what it references) first.
  await run('npx', ['tsc', '-b', 'agent'], { cwd: repo });
  const { ca } = await CertificateAuthority.create();
  const server = await ca.issueServerCertificate('broker', ['localhost', '127.0.0.1'], 1);
  broker = await startEmbeddedBroker({ port: 0, host: '127.0.0.1', tls: { keyPem: server.keyPem, certPem: server.certPem, caPem: [ca.certPem] } });
  stateDir = await mkdtemp(join(tmpdir(), 'ef-agent-cli-'));
  const { keyPem, csrPem } = await generateKeyAndCsr('box');
  const issued = await ca.signClientCsr(csrPem, agentId, 1);
  await saveIdentity(
    stateDir,
    { agentId, fleetId: randomUUID(), name: 'box', hardwareId: 'hw', brokerUrl: broker.url, certificateExpiresAt: issued.notAfter.toISOString() },
    { keyPem, certPem: issued.certPem, caPem: ca.certPem },
  );
  const planeCert = await ca.issueClientCertificate(CONTROL_PLANE_IDENTITY, 1);
  plane = await mqtt.connectAsync(broker.url, { clientId: `${CONTROL_PLANE_IDENTITY}-cli`, protocolVersion: 4, reconnectPeriod: 0, key: planeCert.keyPem, cert: planeCert.certPem, ca: [ca.certPem] });
  plane.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  await plane.subscribeAsync(`ef/v1/${agentId}/#`, { qos: 1 });
  const document = { devices: [{ name: 'sim', driver: 'simulator', groups: [{ name: 'g', intervalMs: 50, tags: [{ name: 't', address: 'sine', type: 'float64' }] }] }] };
  await plane.publishAsync(topics.config(agentId), JSON.stringify({ revision: 1, sha256: configDigest(document), document, issuedAt: new Date().toISOString() }), { qos: 1, retain: true });
}, 120_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  plane?.end(true);
  await broker?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('edgefleet-agent CLI', () => {
  it('prints help', async () => {
    const { stdout } = await run(process.execPath, [cli, '--help']);
    expect(stdout).toContain('edgefleet-agent run');
  });

  it('runs, reports status, and stops cleanly on SIGTERM', async () => {
    child = spawn(process.execPath, [cli, 'run', '--state-dir', stateDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    await waitFor('status.json connected with revision 1', async () => {
      const s = await readStatusFile(statePaths(stateDir).status).catch(() => undefined);
      return s && s.connected && s.appliedRevision === 1 && (s.devices[0]?.polls ?? 0) > 0 ? s : undefined;
    });
    const { stdout } = await run(process.execPath, [cli, 'status', '--state-dir', stateDir]);
    expect(JSON.parse(stdout)).toMatchObject({ agentId, appliedRevision: 1, configSource: 'broker', pid: child.pid });

    const mark = received.length;
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    child = undefined;
    const offline = await waitFor('presence offline', () => received.slice(mark).find((m) => m.topic === topics.presence(agentId)), 5000);
    expect(JSON.parse(offline.payload).status).toBe('offline');
  });
});
