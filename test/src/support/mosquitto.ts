import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort } from './ports.js';

export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

interface ServerCertificateIssuer {
  certPem: string;
  issueServerCertificate(commonName: string, hosts: string[], validityDays: number): Promise<{ certPem: string; keyPem: string }>;
}

export interface MosquittoOptions {
  /** The fleet CA: signs the broker's certificate and is the only CA whose client certificates are accepted. */
  ca: ServerCertificateIssuer;
}

export interface Mosquitto {
  /** e.g. `mqtts://localhost:41234` */
  url: string;
  port: number;
  /** The generated `mosquitto.conf`. */
  config: string;
  /** The generated ACL file. */
  acl: string;
  /** Everything Mosquitto printed so far. */
  output(): string;
  /** Kills the broker and waits for it to exit; removes its directory. */
  stop(): Promise<void>;
}

/**
 * The ACL that encodes `mayPublish`/`maySubscribe` of `protocol/src/topics.ts` for Mosquitto, with
 * the certificate CN as the user name (`use_identity_as_username`): the control plane may do
 * anything under `ef/v1/`; an agent reads its config and commands and writes its reports and data.
 */
export const MOSQUITTO_ACL = `# EdgeFleet fleet broker ACL (the rules of protocol/src/topics.ts)
user edgefleet-control-plane
topic readwrite ef/v1/#

# Every other identity: its own namespace only (%u = certificate CN = agent id).
pattern read ef/v1/%u/config
pattern read ef/v1/%u/cmd/+
pattern write ef/v1/%u/state
pattern write ef/v1/%u/presence
pattern write ef/v1/%u/heartbeat
pattern write ef/v1/%u/reply/+
pattern write ef/v1/%u/data/#
`;

/** The tested Mosquitto 2.0 configuration for the fleet broker (mutual TLS, CN as user name). */
export function mosquittoConfig(opts: { port: number; host: string; dir: string }): string {
  return `# EdgeFleet fleet broker (Mosquitto 2.0)
per_listener_settings false
persistence false
set_tcp_nodelay true
allow_anonymous false
acl_file ${path.join(opts.dir, 'acl')}
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information

listener ${opts.port} ${opts.host}
protocol mqtt
cafile ${path.join(opts.dir, 'ca.pem')}
certfile ${path.join(opts.dir, 'server.pem')}
keyfile ${path.join(opts.dir, 'server.key')}
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
`;
}

/** Starts a Mosquitto with mutual TLS against the fleet CA on a random free port. */
export async function startMosquitto(opts: MosquittoOptions): Promise<Mosquitto> {
  try {
    await access(MOSQUITTO_BIN);
  } catch {
    throw new Error(`Mosquitto is not installed (${MOSQUITTO_BIN} is missing): apt-get install -y mosquitto`);
  }
  const host = '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-mosquitto-'));
  // Started as root, Mosquitto drops to the `mosquitto` user, which must read its files.
  await chmod(dir, 0o755);
  const server = await opts.ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 1);
  const write = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), 0o644);
  };
  await write('ca.pem', opts.ca.certPem);
  await write('server.pem', server.certPem);
  await write('server.key', server.keyPem);
  await write('acl', MOSQUITTO_ACL);

  const lines: string[] = [];
  const output = () => lines.join('');
  let child: ChildProcess | undefined;
  let port = 0;
  let config = '';
  // The free port may be taken by someone else before Mosquitto binds it: try a few.
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort(host);
    config = mosquittoConfig({ port, host, dir });
    await write('mosquitto.conf', config);
    const proc = spawn(MOSQUITTO_BIN, ['-c', path.join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.setEncoding('utf8').on('data', (s: string) => lines.push(s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => lines.push(s));
    let exited = false;
    proc.once('exit', () => (exited = true));
    proc.once('error', (err) => {
      exited = true;
      lines.push(`spawn failed: ${err.message}\n`);
    });
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) {
      if (await canConnect(port, host)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!exited && (await canConnect(port, host))) {
      child = proc;
      break;
    }
    proc.kill('SIGKILL');
    if (!output().includes('Address already in use')) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Mosquitto did not start on port ${port}; its output:\n${output()}`);
    }
  }
  if (!child) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`Mosquitto did not start; its output:\n${output()}`);
  }
  const running = child;
  const exit = new Promise<void>((resolve) => {
    if (running.exitCode !== null || running.signalCode !== null) resolve();
    else running.once('exit', () => resolve());
  });
  return {
    url: `mqtts://localhost:${port}`,
    port,
    config,
    acl: MOSQUITTO_ACL,
    output,
    stop: async () => {
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
