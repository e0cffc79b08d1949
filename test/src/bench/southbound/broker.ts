import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registerTempDir, startChild, type Child } from './children.js';
import { canConnect, freePort } from '../../support/ports.js';
import { MOSQUITTO_ACL, MOSQUITTO_BIN, mosquittoConfig } from '../../support/mosquitto.js';


interface ServerCertificateIssuer {
  certPem: string;
  issueServerCertificate(commonName: string, hosts: string[], validityDays: number): Promise<{ certPem: string; keyPem: string }>;
}

export interface FleetBroker {
  url: string;
  pid: number;
  child: Child;
  stop(): Promise<void>;
}

/**
 * The fleet broker as docs/operations/mosquitto.md configures it (mutual TLS, the certificate CN
 * as user name, the fleet ACL, `set_tcp_nodelay true`), on a free port; its children are
 * registered for the bench's Ctrl-C clean-up.
 */
export async function startFleetBroker(ca: ServerCertificateIssuer): Promise<FleetBroker> {
  await access(MOSQUITTO_BIN).catch(() => {
    throw new Error(`Mosquitto is not installed (${MOSQUITTO_BIN} is missing): apt-get install -y mosquitto`);
  });
  const host = '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-bench-mosquitto-'));
  registerTempDir(dir);
  // Started as root, Mosquitto drops to the `mosquitto` user, which must read its files.
  await chmod(dir, 0o755);
  const write = async (name: string, text: string) => {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), 0o644);
  };
  const server = await ca.issueServerCertificate('edgefleet-broker', ['localhost', '127.0.0.1'], 1);
  await write('ca.pem', ca.certPem);
  await write('server.pem', server.certPem);
  await write('server.key', server.keyPem);
  await write('acl', MOSQUITTO_ACL);
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(host);
    await write('mosquitto.conf', mosquittoConfig({ port, host, dir }));
    const child = startChild('mosquitto', MOSQUITTO_BIN, ['-c', path.join(dir, 'mosquitto.conf')], { keepStdin: false });
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < deadline && child.proc.exitCode === null) {
      up = await canConnect(port, host);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      return {
        url: `mqtts://localhost:${port}`,
        pid: child.pid,
        child,
        stop: async () => {
          await child.stop(5000);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await child.stop(1000);
    if (!child.output().includes('Address already in use')) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Mosquitto did not start on port ${port}:\n${child.output()}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('Mosquitto did not start: no free port');
}
