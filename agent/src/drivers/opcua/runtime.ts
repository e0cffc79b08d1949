import type { Device, Group, LinkState, Tag, TagValue } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import type { BrowsedNode, DriverContext, GroupRead } from '../driver.js';
import type { Deliver } from './notification-batcher.js';
import { acquireApplicationCertificate, releaseApplicationCertificate, type ApplicationCertificate } from './application-certificate.js';
import { NodeBrowser } from './browser.js';
import { DataTypeResolver } from './data-type-resolver.js';
import { GroupReader } from './group-reader.js';
import { loadOpcUa, type OpcUa } from './opcua-lib.js';
import { SubscriptionManager } from './subscriptions.js';
import { ConnectionSupervisor } from './supervisor.js';
import { TagWriter } from './tag-writer.js';

export type OpcUaDevice = Extract<Device, { driver: 'opcua' }>;

/**
 * Everything of the OPC UA driver that needs node-opcua: loaded by the driver's `start()` only,
 * so an agent without OPC UA devices never pays for the library.
 */
export class OpcUaRuntime {
  private readonly supervisor: ConnectionSupervisor;
  private readonly subscriptions: SubscriptionManager;
  private readonly reader: GroupReader;
  private readonly writer: TagWriter;
  private readonly browser: NodeBrowser;
  private released = false;

  static async create(device: OpcUaDevice, context: DriverContext): Promise<OpcUaRuntime> {
    const lib = await loadOpcUa(context.log);
    const app = await acquireApplicationCertificate(lib, context.stateDir);
    return new OpcUaRuntime(device, context, lib.ua, app);
  }

  private constructor(
    private readonly device: OpcUaDevice,
    private readonly context: DriverContext,
    ua: OpcUa,
    private readonly app: ApplicationCertificate,
  ) {
    const settings = device.settings;
    const log: Logger = context.log.child({ device: device.name, driver: 'opcua' });
    const dataTypes = new DataTypeResolver(ua, settings.requestTimeoutMs);
    this.reader = new GroupReader(ua, settings.requestTimeoutMs);
    this.writer = new TagWriter(ua, dataTypes, settings.requestTimeoutMs);
    this.browser = new NodeBrowser(ua, dataTypes, settings.requestTimeoutMs);
    this.subscriptions = new SubscriptionManager({ ua, settings, log, readGroup: (conn, group) => this.reader.read(conn, group) });
    this.supervisor = new ConnectionSupervisor({ ua, app, settings, name: device.name, log, subscriptions: this.subscriptions });
  }

  start(): void {
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
    this.subscriptions.stop();
    if (!this.released) {
      this.released = true;
      await releaseApplicationCertificate(this.context.stateDir);
    }
  }

  waitConnected(timeoutMs: number): Promise<void> {
    return this.supervisor.waitConnected(timeoutMs);
  }

  link(): LinkState {
    return this.supervisor.state;
  }

  lastError(): string | null {
    return this.supervisor.lastError ?? (this.supervisor.state === 'connected' ? this.subscriptions.lastError : null);
  }

  readGroup(group: Group): Promise<GroupRead> {
    return this.reader.read(this.supervisor.connection(), group);
  }

  writeTag(tag: Tag, raw: TagValue): Promise<void> {
    return this.writer.write(this.supervisor.connection(), tag, raw);
  }

  subscribe(group: Group, deliver: Deliver): Promise<void> {
    return this.subscriptions.subscribe(group, deliver);
  }

  browse(nodeId: string): Promise<BrowsedNode[]> {
    return this.browser.browse(this.supervisor.connection(), nodeId);
  }

  details(): Record<string, unknown> {
    const s = this.device.settings;
    const sup = this.supervisor;
    const conn = sup.current;
    return {
      endpointUrl: s.endpointUrl,
      security: `${s.securityMode}/${s.securityPolicy}`,
      userIdentity: s.userIdentity.type,
      session: sup.state === 'connected' ? 'active' : sup.state,
      connectedSince: sup.connectedSince === null ? null : new Date(sup.connectedSince).toISOString(),
      connectAttempts: sup.connectAttempts,
      sessionsCreated: sup.sessionsCreated,
      reconnects: sup.reconnects,
      ...this.subscriptions.stats(),
      reads: this.reader.reads,
      readErrors: this.reader.readErrors,
      writes: this.writer.writes,
      writeErrors: this.writer.writeErrors,
      lastError: sup.lastError ?? this.subscriptions.lastError ?? sup.lastProblem,
      lastErrorAt: sup.lastErrorAt === null ? null : new Date(sup.lastErrorAt).toISOString(),
      serverCertificateFingerprint: conn?.serverCertificate?.fingerprint ?? null,
      untrustedServerCertificateFingerprint: sup.untrustedCertificate?.fingerprint ?? null,
      untrustedServerCertificateSubject: sup.untrustedCertificate?.subject ?? null,
      applicationUri: this.app.applicationUri,
      clientCertificateThumbprint: this.app.thumbprint,
    };
  }
}
