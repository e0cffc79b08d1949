/**
 * A local stand-in for an AWS IoT Core endpoint: the real Debian Mosquitto with mutual TLS
 * (certificate CN = thing name as the user name), an ACL that allows the thing its topics as an
 * IoT policy would, and a plain mqtt.js client as the cloud side that sees what the thing
 * publishes and can send it requests. Runs on a fixed port so it can be stopped and started
 * again where the thing expects it; the cloud side's session (subscriptions and what is queued
 * for it) survives such a restart, so nothing the thing publishes meanwhile escapes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { CertificateAuthority } from '../../../../control-plane/src/pki/certificate-authority.js';
import { MOSQUITTO_BIN } from '../../support/mosquitto.js';
import { canConnect, freePort } from '../../support/ports.js';

export const THING = 'edgefleet-thing-1';
const OBSERVER = 'cloud-observer';

/**
 * The thing may use its topics, as an AWS IoT policy would allow them; `#` does not match `$`
 * topics (MQTT-4.7.2-1), so `$aws/#` is named. Anything else is denied (a refused PUBACK).
 */
const ACL = `user ${THING}
topic readwrite edgefleet/#
topic readwrite $aws/#

user ${OBSERVER}
topic readwrite #
topic readwrite $aws/#
`;

function brokerConfig(dir: string, port: number): string {
  return `per_listener_settings false
persistence true
persistence_location ${path.join(dir, 'data')}/
max_queued_messages 0
set_tcp_nodelay true
allow_anonymous false
acl_file ${path.join(dir, 'acl')}
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information

listener ${port} 127.0.0.1
protocol mqtt
cafile ${path.join(dir, 'ca.pem')}
certfile ${path.join(dir, 'server.pem')}
keyfile ${path.join(dir, 'server.key')}
tls_version tlsv1.2
require_certificate true
use_identity_as_username true
`;
}

/** A message the cloud side received. */
export interface CloudReceived {
  topic: string;
  payload: Buffer;
  qos: number;
  /** MQTT 5 user properties. */
  userProperties: Record<string, string | string[]>;
}

export interface AwsIotPeer {
  port: number;
  /** Signed the endpoint's certificate and the thing's. */
  ca: CertificateAuthority;
  /** The thing's certificate and key (PEM). */
  thing: { certPem: string; keyPem: string };
  /** What the cloud side received on its subscriptions, in arrival order. */
  received: CloudReceived[];
  /** The cloud side (an MQTT 5 client allowed everything). */
  observer: MqttClient;
  /** Everything Mosquitto printed so far. */
  output(): string;
  /** Subscribes the cloud side to `filter` (QoS 1). */
  subscribe(filter: string): Promise<void>;
  /** Publishes as the cloud side (QoS 1). */
  publishAsCloud(topic: string, payload: string): Promise<void>;
  /** An outage: the endpoint stops; `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startAwsIotPeer(): Promise<AwsIotPeer> {
  try {
    await access(MOSQUITTO_BIN);
  } catch {
    throw new Error(`Mosquitto is not installed (${MOSQUITTO_BIN} is missing): apt-get install -y mosquitto`);
  }
  const ca = (await CertificateAuthority.create('AWS IoT test CA', 1)).ca;
  const server = await ca.issueServerCertificate('aws-iot-endpoint', ['localhost', '127.0.0.1'], 1);
  const thing = await ca.issueClientCertificate(THING, 1);
  const cloud = await ca.issueClientCertificate(OBSERVER, 1);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgefleet-aws-iot-'));
  // Started as root, Mosquitto drops to the `mosquitto` user, which must read its files.
  await chmod(dir, 0o755);
  await mkdir(path.join(dir, 'data'));
  await chmod(path.join(dir, 'data'), 0o777);
  const port = await freePort();
  const files: Record<string, string> = { 'ca.pem': ca.certPem, 'server.pem': server.certPem, 'server.key': server.keyPem, acl: ACL, 'mosquitto.conf': brokerConfig(dir, port) };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(path.join(dir, name), text);
    await chmod(path.join(dir, name), 0o644);
  }

  let child: ChildProcess | undefined;
  const lines: string[] = [];
  const output = () => lines.join('');
  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(MOSQUITTO_BIN, ['-c', path.join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.setEncoding('utf8').on('data', (s: string) => lines.push(s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => lines.push(s));
    let exited = false;
    proc.once('exit', () => (exited = true));
    proc.once('error', (err) => lines.push(`spawn failed: ${err.message}\n`));
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 50));
    if (exited || !(await canConnect(port))) {
      proc.kill('SIGKILL');
      throw new Error(`Mosquitto did not start on port ${port}; its output:\n${output()}`);
    }
    child = proc;
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exit = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  };
  await start();

  const received: CloudReceived[] = [];
  const observer = mqtt.connect(`mqtts://localhost:${port}`, { clientId: OBSERVER, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 200, connectTimeout: 5_000, ca: [ca.certPem], key: cloud.keyPem, cert: cloud.certPem });
  observer.on('message', (topic, payload, packet) =>
    received.push({ topic, payload: Buffer.from(payload), qos: packet.qos, userProperties: { ...(packet.properties?.userProperties ?? {}) } }),
  );
  observer.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    observer.once('connect', () => resolve());
    observer.once('error', reject);
  });
  return {
    port,
    ca,
    thing,
    received,
    observer,
    output,
    subscribe: (filter) =>
      new Promise<void>((resolve, reject) => {
        observer.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      }),
    publishAsCloud: (topic, payload) => new Promise<void>((resolve, reject) => observer.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()))),
    stop,
    start,
    async close() {
      observer.end(true);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
