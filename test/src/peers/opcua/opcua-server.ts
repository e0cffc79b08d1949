import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/ports.js';
import { buildAddressSpace, type PeerAddressSpace } from './address-space.js';
import { ua, type OPCUACertificateManager, type OPCUAServer } from './lib.js';

export interface OpcUaPeerOptions {
  /** Default: a free port. */
  port?: number;
  /** Users accepted with user name and password. */
  users?: { username: string; password: string }[];
  allowAnonymous?: boolean;
  /** Whether the server accepts the agent's application certificate on its own (default true). */
  acceptClientCertificates?: boolean;
  /** How often the Dynamic and Load variables change (default 100 ms). */
  changeEveryMs?: number;
  /** How many Load variables to create (default 0). */
  load?: number;
}

export interface UserCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** Every policy the agent supports, with Sign and SignAndEncrypt, plus None. */
const POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

/**
 * A real node-opcua server for the tests, on a free port, with its PKI in a temp dir: variables
 * of every basic type, a few changing on a timer, a folder tree to browse; security None and
 * every supported policy with Sign and SignAndEncrypt; user names and passwords, and an X.509
 * user certificate it trusts. `stop()` and `start()` again restart it on the same port with the
 * same certificate (a server reboot); `dispose()` removes everything.
 */
export class OpcUaPeer {
  readonly endpointUrl: string;
  readonly namespaceUri = 'urn:edgefleet:test-peer';
  /** SHA-256 of the server certificate (lower-case hex): what an operator pins. */
  certificateFingerprint = '';
  certificatePem = '';
  userCertificate!: UserCertificate;
  private server: OPCUAServer | undefined;
  private space: PeerAddressSpace | undefined;
  private serverCm: OPCUACertificateManager | undefined;
  private userCm: OPCUACertificateManager | undefined;

  private constructor(
    private readonly dir: string,
    readonly port: number,
    private readonly opts: OpcUaPeerOptions,
  ) {
    this.endpointUrl = `opc.tcp://localhost:${port}`;
  }

  static async start(opts: OpcUaPeerOptions = {}): Promise<OpcUaPeer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ef-opcua-peer-'));
    const peer = new OpcUaPeer(dir, opts.port ?? (await freePort()), opts);
    try {
      await peer.createUserCertificate();
      await peer.start();
      return peer;
    } catch (err) {
      await peer.dispose();
      throw err;
    }
  }

  private async createUserCertificate(): Promise<void> {
    const cm = new ua.OPCUACertificateManager({ rootFolder: path.join(this.dir, 'user-identity'), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
    await cm.initialize();
    const file = path.join(this.dir, 'user-identity', 'operator.pem');
    await cm.createSelfSignedCertificate({ applicationUri: 'urn:edgefleet:operator', dns: [], subject: '/CN=operator/O=EdgeFleet tests', startDate: new Date(), validity: 30, outputFile: file });
    this.userCertificate = { certificatePem: await readFile(file, 'utf8'), privateKeyPem: await readFile(cm.privateKey, 'utf8') };
    await cm.dispose();
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Starts (or restarts) the server on its port, with the certificate kept in its PKI dir. */
  async start(): Promise<void> {
    if (this.server) return;
    const serverCm = new ua.OPCUACertificateManager({
      rootFolder: path.join(this.dir, 'server'),
      automaticallyAcceptUnknownCertificate: this.opts.acceptClientCertificates ?? true,
      disableFileWatchers: true,
    });
    const userCm = new ua.OPCUACertificateManager({ rootFolder: path.join(this.dir, 'users'), automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
    await serverCm.initialize();
    await userCm.initialize();
    await userCm.trustCertificate(new X509Certificate(this.userCertificate.certificatePem).raw);
    this.serverCm = serverCm;
    this.userCm = userCm;
    const users = this.opts.users ?? [];
    const server = new ua.OPCUAServer({
      port: this.port,
      serverCertificateManager: serverCm,
      userCertificateManager: userCm,
      securityPolicies: POLICIES.map((p) => ua.SecurityPolicy[p]),
      securityModes: [ua.MessageSecurityMode.None, ua.MessageSecurityMode.Sign, ua.MessageSecurityMode.SignAndEncrypt],
      allowAnonymous: this.opts.allowAnonymous ?? true,
      userManager: { isValidUser: (username: string, password: string) => users.some((u) => u.username === username && u.password === password) },
      serverInfo: { applicationUri: this.namespaceUri, productUri: 'urn:edgefleet:test-peer', applicationName: { text: 'EdgeFleet OPC UA test peer' } },
      buildInfo: { productName: 'EdgeFleet OPC UA test peer', manufacturerName: 'EdgeFleet' },
    });
    await server.initialize();
    this.space = buildAddressSpace(server.engine.addressSpace!, { changeEveryMs: this.opts.changeEveryMs ?? 100, load: this.opts.load ?? 0 });
    await server.start();
    this.server = server;
    const cert = new X509Certificate(await readFile(server.certificateFile));
    this.certificateFingerprint = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    this.certificatePem = cert.toString();
  }

  /** Shuts the server down (sessions and subscriptions are gone, as after a reboot). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.space?.stop();
    this.space = undefined;
    if (server) await server.shutdown(0);
    await this.serverCm?.dispose();
    await this.userCm?.dispose();
    this.serverCm = undefined;
    this.userCm = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The namespace index of the peer's variables (`ns=1`). */
  get namespaceIndex(): number {
    return this.server?.engine.addressSpace?.getOwnNamespace().index ?? 1;
  }

  set(nodeId: string, dataType: number, value: unknown): void {
    if (!this.space) throw new Error('the OPC UA test peer is not running');
    this.space.set(nodeId, dataType, value);
  }

  get(nodeId: string): unknown {
    if (!this.space) throw new Error('the OPC UA test peer is not running');
    return this.space.get(nodeId);
  }

  /** Sessions the server holds now (to check the agent's come and go as expected). */
  get sessionCount(): number {
    return this.server?.currentSessionCount ?? 0;
  }

  /** Subscriptions the server holds now, over all sessions. */
  get subscriptionCount(): number {
    return this.server?.currentSubscriptionCount ?? 0;
  }
}
