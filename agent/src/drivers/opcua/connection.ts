import { createPublicKey, X509Certificate } from 'node:crypto';
import type { OpcUaSettings, ServerCertificateInfo } from '@edgefleet/protocol';
import type {
  ClientSession,
  ClientSessionPublishService,
  ClientSessionRawSubscriptionService,
  EndpointDescription,
  NodeId,
  OPCUAClient,
  OPCUAClientOptions,
  UserIdentityInfo,
} from 'node-opcua-client';
import type { Logger } from '../../log.js';
import type { ApplicationCertificate } from './application-certificate.js';
import { ConnectionSetupError, explainConnectError } from './connect-errors.js';
import { resolveNodeIdText, type ResolvedNodeId } from './node-ids.js';
import type { OpcUa } from './opcua-lib.js';
import { assertTrusted } from './server-certificate.js';
import { withTimeout } from './with-timeout.js';

/** Server limits read once per session (OPC 10000-5 §6.3.11 OperationLimits); 0 = none announced. */
export interface OperationLimits {
  maxNodesPerRead: number;
  maxNodesPerWrite: number;
  maxNodesPerBrowse: number;
  maxMonitoredItemsPerCall: number;
}

export interface ConnectionOptions {
  ua: OpcUa;
  app: ApplicationCertificate;
  settings: OpcUaSettings;
  /** Names the session on the server (the device name). */
  name: string;
  log: Logger;
  generation: number;
  /** Aborts a connection attempt (the driver is stopping). */
  signal?: AbortSignal;
}

/**
 * A node-opcua session with the raw subscription and publish services it implements (its public
 * type leaves them out in favour of its ClientSubscription objects, which this driver does not use).
 */
export type RawSession = ClientSession & ClientSessionRawSubscriptionService & ClientSessionPublishService;

/** A server state of `ServerStatus.State` (OPC 10000-5 §12.6): only Running serves data. */
const SERVER_STATE_NAMES = ['Running', 'Failed', 'NoConfiguration', 'Suspended', 'Shutdown', 'Test', 'CommunicationFault', 'Unknown'];

/** The most a call may take is capped so a huge requestTimeoutMs cannot stall a shutdown. */
const CLOSE_TIMEOUT_MS = 5000;

function pemBody(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

function securityModeOf(ua: OpcUa, mode: OpcUaSettings['securityMode']) {
  return ua.MessageSecurityMode[mode];
}

function describeEndpoint(ua: OpcUa, e: EndpointDescription): string {
  const policy = (e.securityPolicyUri ?? '').split('#')[1] ?? 'None';
  return `${ua.MessageSecurityMode[e.securityMode]}/${policy}`;
}

function userTokenName(ua: OpcUa, type: number): string {
  return ua.UserTokenType[type] ?? String(type);
}

/**
 * One connection to a server: a secure channel and one session, watched until it dies. It never
 * repairs itself (node-opcua's own reconnection is off): when anything breaks, `lost` resolves
 * with the reason and the supervisor builds the next connection from scratch, moving the
 * subscriptions over. A connection is used once.
 */
export class OpcUaConnection {
  readonly lost: Promise<string>;
  namespaces: string[] = [];
  limits: OperationLimits = { maxNodesPerRead: 0, maxNodesPerWrite: 0, maxNodesPerBrowse: 0, maxMonitoredItemsPerCall: 0 };
  /** The trusted certificate of a secured endpoint (undefined with security None). */
  serverCertificate: ServerCertificateInfo | undefined;
  /** ServerStatus.StartTime: tells a restarted server (whose subscriptions are gone) from a network break. */
  serverStartTime: number | undefined;
  lastResponseAt = Date.now();
  private markLost!: (reason: string) => void;
  private lostReason: string | undefined;
  private client: OPCUAClient | undefined;
  private discoveryClient: OPCUAClient | undefined;
  private currentSession: RawSession | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private readonly nodeIds = new Map<string, ResolvedNodeId>();
  private readonly parsedNodeIds = new Map<string, NodeId>();
  private readonly onResponse = (): void => {
    this.lastResponseAt = Date.now();
  };
  private readonly onClose = (err?: Error | null): void => {
    if (!this.closed) this.fail(err ? `the connection closed: ${err.message}` : 'the connection closed');
  };
  private readonly onConnectionLost = (): void => {
    if (!this.closed) this.fail('the connection was lost');
  };
  private readonly onSessionClosed = (status: { toString(): string }): void => {
    if (!this.closed) this.fail(`the server closed the session (${status.toString()})`);
  };

  private constructor(private readonly opts: ConnectionOptions) {
    this.lost = new Promise((resolve) => {
      this.markLost = resolve;
    });
  }

  get generation(): number {
    return this.opts.generation;
  }

  get isLost(): boolean {
    return this.lostReason !== undefined;
  }

  get session(): RawSession {
    if (!this.currentSession || this.lostReason !== undefined) throw new Error(this.lostReason ?? 'no session');
    return this.currentSession;
  }

  /** Opens a channel and a session; rejects with a `ConnectionSetupError` (or an untrusted certificate). */
  static async open(opts: ConnectionOptions): Promise<OpcUaConnection> {
    const conn = new OpcUaConnection(opts);
    const abort = (): void => void conn.close(true);
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (opts.signal?.aborted) throw new ConnectionSetupError('the driver stopped', false);
      await conn.connect();
      return conn;
    } catch (err) {
      await conn.close(false);
      if (opts.signal?.aborted) throw new ConnectionSetupError('the driver stopped', false);
      if (err instanceof ConnectionSetupError || (err instanceof Error && err.name === 'UntrustedServerCertificateError')) throw err;
      throw explainConnectError(err, {
        endpointUrl: opts.settings.endpointUrl,
        identity: opts.settings.userIdentity.type,
        clientThumbprint: opts.app.thumbprint,
      });
    } finally {
      opts.signal?.removeEventListener('abort', abort);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ConnectionSetupError('the driver stopped', false);
  }

  private baseOptions(): OPCUAClientOptions {
    const { app, settings, name } = this.opts;
    return {
      applicationName: app.applicationName,
      applicationUri: app.applicationUri,
      clientName: name,
      clientCertificateManager: app.certificateManager,
      certificateFile: app.certificateFile,
      privateKeyFile: app.privateKeyFile,
      endpointMustExist: false,
      // One attempt per connect: the supervisor owns retrying and its back-off.
      connectionStrategy: { maxRetry: 0, initialDelay: settings.reconnectMinMs, maxDelay: settings.reconnectMaxMs },
      defaultTransactionTimeout: settings.requestTimeoutMs,
      transportTimeout: Math.max(settings.requestTimeoutMs, 30_000),
      keepSessionAlive: false,
      keepPendingSessionsOnDisconnect: true,
      requestedSessionTimeout: settings.sessionTimeoutMs,
    };
  }

  /**
   * With security, the endpoint (and with it the server certificate) is fetched first over an
   * unsecured discovery channel, and checked against the trusted fingerprints before anything
   * secret is sent. The secured client is then given that certificate, so node-opcua does not
   * fetch it again on its own nor consult its certificate store.
   */
  private async discover(): Promise<EndpointDescription> {
    const { ua, settings } = this.opts;
    const discovery = ua.OPCUAClient.create({ ...this.baseOptions(), securityMode: ua.MessageSecurityMode.None, securityPolicy: ua.SecurityPolicy.None });
    this.discoveryClient = discovery;
    let endpoints: EndpointDescription[];
    try {
      await withTimeout(discovery.connect(settings.endpointUrl), settings.requestTimeoutMs, `connecting to ${settings.endpointUrl}`);
      this.checkOpen();
      endpoints = await withTimeout(discovery.getEndpoints(), settings.requestTimeoutMs, 'GetEndpoints');
    } finally {
      this.discoveryClient = undefined;
      await withTimeout(discovery.disconnect(), CLOSE_TIMEOUT_MS, 'closing the discovery channel').catch(() => undefined);
    }
    const mode = securityModeOf(ua, settings.securityMode);
    const policyUri = ua.SecurityPolicy[settings.securityPolicy];
    const endpoint = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === policyUri);
    if (!endpoint) {
      const offered = [...new Set(endpoints.map((e) => describeEndpoint(ua, e)))].join(', ') || 'none';
      throw new ConnectionSetupError(`the server has no endpoint with ${settings.securityMode}/${settings.securityPolicy}; it offers ${offered}`, true);
    }
    const wanted = this.userIdentity().type;
    const tokens = endpoint.userIdentityTokens ?? [];
    if (!tokens.some((t) => t.tokenType === wanted)) {
      const accepted = [...new Set(tokens.map((t) => userTokenName(ua, t.tokenType)))].join(', ') || 'none';
      throw new ConnectionSetupError(`the ${settings.securityMode}/${settings.securityPolicy} endpoint does not accept ${settings.userIdentity.type} users; it accepts ${accepted}`, true);
    }
    this.serverCertificate = assertTrusted(endpoint.serverCertificate, settings.trustedServerCertificates);
    return endpoint;
  }

  private userIdentity(): UserIdentityInfo {
    const { ua, settings } = this.opts;
    const id = settings.userIdentity;
    switch (id.type) {
      case 'anonymous':
        return { type: ua.UserTokenType.Anonymous };
      case 'username':
        return { type: ua.UserTokenType.UserName, userName: id.username, password: id.password };
      case 'certificate':
        // Checked here so a key that does not parse is reported as such, not as a server refusal.
        createPublicKey(id.privateKeyPem);
        return { type: ua.UserTokenType.Certificate, certificateData: pemBody(id.certificatePem), privateKey: id.privateKeyPem };
    }
  }

  private async connect(): Promise<void> {
    const { ua, settings } = this.opts;
    const secured = settings.securityMode !== 'None';
    const endpoint = secured ? await this.discover() : undefined;
    this.checkOpen();
    const identity = this.userIdentity();
    const client = ua.OPCUAClient.create({
      ...this.baseOptions(),
      securityMode: securityModeOf(ua, settings.securityMode),
      securityPolicy: ua.SecurityPolicy[settings.securityPolicy],
      ...(endpoint?.serverCertificate ? { serverCertificate: endpoint.serverCertificate } : {}),
    });
    this.client = client;
    client.on('close', this.onClose);
    client.on('connection_lost', this.onConnectionLost);
    client.on('receive_response', this.onResponse);
    await withTimeout(client.connect(settings.endpointUrl), settings.requestTimeoutMs, `connecting to ${settings.endpointUrl}`);
    this.checkOpen();
    const session = (await withTimeout(client.createSession(identity), settings.requestTimeoutMs, 'creating the session')) as RawSession;
    this.currentSession = session;
    this.checkOpen();
    session.on('session_closed', this.onSessionClosed);
    if (settings.securityMode === 'None' && settings.userIdentity.type === 'username') {
      this.opts.log.warn({ endpoint: settings.endpointUrl }, 'OPC UA user name and password over an endpoint without security: use Sign or SignAndEncrypt to protect them');
    }
    await this.readServerFacts();
    this.lastResponseAt = Date.now();
    this.startWatchdog();
  }

  /** The NamespaceArray (for `nsu=` addresses) and the OperationLimits, in one Read. */
  private async readServerFacts(): Promise<void> {
    const { ua, settings } = this.opts;
    const ids = ua.VariableIds;
    const nodes = [
      ids.Server_NamespaceArray,
      ids.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
      ids.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
      ids.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
      ids.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
      ids.Server_ServerStatus_StartTime,
    ].map((i) => ({ nodeId: ua.makeNodeId(i, 0), attributeId: ua.AttributeIds.Value }));
    const values = await withTimeout(this.session.read(nodes), settings.requestTimeoutMs, 'reading the NamespaceArray and OperationLimits');
    const ns = values[0]?.value?.value as unknown;
    this.namespaces = Array.isArray(ns) ? ns.map(String) : [];
    const limit = (i: number): number => {
      const v = values[i];
      return v && v.statusCode.isGood() && typeof v.value.value === 'number' ? v.value.value : 0;
    };
    this.limits = { maxNodesPerRead: limit(1), maxNodesPerWrite: limit(2), maxNodesPerBrowse: limit(3), maxMonitoredItemsPerCall: limit(4) };
    const started = values[5]?.value?.value as unknown;
    this.serverStartTime = started instanceof Date && started.getTime() > 0 ? started.getTime() : undefined;
  }

  /**
   * Notices a dead server even when the socket stays open (a cable pulled, a server hung): every
   * response refreshes `lastResponseAt`; after a quiet spell the watchdog reads the server state,
   * and a failed read, or a server no longer Running, ends the connection. The read also keeps a
   * session without subscriptions from timing out on the server.
   */
  private startWatchdog(): void {
    const { settings } = this.opts;
    const quietMs = Math.max(1000, Math.min(5000, Math.floor(settings.sessionTimeoutMs / 3)));
    const tick = Math.max(250, Math.min(1000, Math.floor(quietMs / 2)));
    this.watchdog = setInterval(() => {
      if (this.probing || this.isLost || Date.now() - this.lastResponseAt < quietMs) return;
      this.probing = true;
      void this.probe().finally(() => {
        this.probing = false;
      });
    }, tick);
    this.watchdog.unref();
  }

  /** Reads ServerStatus.State now: after a timeout elsewhere, or from the watchdog. */
  async probe(): Promise<void> {
    const { ua, settings } = this.opts;
    try {
      const node = { nodeId: ua.makeNodeId(ua.VariableIds.Server_ServerStatus_State, 0), attributeId: ua.AttributeIds.Value };
      const dv = await withTimeout(this.session.read(node), settings.requestTimeoutMs, 'the keep-alive read');
      const state = dv.value?.value as unknown;
      if (dv.statusCode.isGood() && typeof state === 'number' && state !== 0) {
        this.fail(`the server is no longer running (state ${SERVER_STATE_NAMES[state] ?? state})`);
      }
    } catch (err) {
      if (!this.isLost && !this.closed) this.fail(`the server stopped answering (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /** Ends this connection: the supervisor sees `lost` resolve and reconnects. */
  fail(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.stopWatchdog();
    this.markLost(reason);
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /**
   * A tag address or browse start as a node-opcua NodeId for this session (namespace URIs
   * resolved against this server's NamespaceArray), cached for the life of the connection.
   */
  resolve(address: string): ResolvedNodeId {
    let r = this.nodeIds.get(address);
    if (!r) {
      r = resolveNodeIdText(address, this.namespaces);
      this.nodeIds.set(address, r);
    }
    return r;
  }

  nodeId(resolvedText: string): NodeId {
    let n = this.parsedNodeIds.get(resolvedText);
    if (!n) {
      n = this.opts.ua.coerceNodeId(resolvedText);
      this.parsedNodeIds.set(resolvedText, n);
    }
    return n;
  }

  /**
   * Closes the connection. `graceful` (the driver is stopping) closes the session and deletes its
   * subscriptions on the server; otherwise the session is left for the server to expire, so its
   * subscriptions can be transferred to the next session.
   */
  async close(graceful: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(graceful ? 'the driver stopped' : (this.lostReason ?? 'closed'));
    const limit = Math.min(CLOSE_TIMEOUT_MS, this.opts.settings.requestTimeoutMs);
    // Stopping during discovery: end its pending connect now rather than when it times out.
    if (this.discoveryClient) await withTimeout(this.discoveryClient.disconnect(), limit, 'closing the discovery channel').catch(() => undefined);
    const session = this.currentSession;
    session?.off('session_closed', this.onSessionClosed);
    if (graceful && session) await withTimeout(session.close(true), limit, 'closing the session').catch(() => undefined);
    const client = this.client;
    if (client) {
      await withTimeout(client.disconnect(), limit, 'disconnecting').catch(() => undefined);
      client.off('close', this.onClose);
      client.off('connection_lost', this.onConnectionLost);
      client.off('receive_response', this.onResponse);
    }
  }
}
