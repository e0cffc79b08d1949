import { ErrorCode, type LinkState, type OpcUaSettings, type ServerCertificateInfo } from '@edgefleet/protocol';
import type { Logger } from '../../log.js';
import { AgentError } from '../../util/errors.js';
import type { ApplicationCertificate } from './application-certificate.js';
import { ConnectionSetupError } from './connect-errors.js';
import { OpcUaConnection } from './connection.js';
import type { OpcUa } from './opcua-lib.js';
import { ReconnectBackoff } from './reconnect-backoff.js';
import { UntrustedServerCertificateError } from './server-certificate.js';
import type { SubscriptionManager } from './subscriptions.js';

/** A connection that stayed up this long was healthy: the next loss starts the back-off afresh. */
const HEALTHY_AFTER_MS = 10_000;

interface Waiter {
  resolve(): void;
  reject(err: AgentError): void;
  timer: NodeJS.Timeout;
}

export interface SupervisorOptions {
  ua: OpcUa;
  app: ApplicationCertificate;
  settings: OpcUaSettings;
  name: string;
  log: Logger;
  subscriptions: SubscriptionManager;
}

/**
 * Keeps one device connected: connects in the background, and whenever the connection is lost
 * (server restarted, network down, session dropped, server silent) builds a new one after a
 * back-off from reconnectMinMs doubling to reconnectMaxMs, and moves the subscriptions onto it.
 *
 * Link state: `connecting` until the first attempt's outcome and after a lost connection,
 * `connected` while a session is up, `error` while attempts fail (the reason in `lastError`),
 * `disconnected` once stopped.
 */
export class ConnectionSupervisor {
  state: LinkState = 'disconnected';
  lastError: string | null = null;
  /** The latest problem, kept after recovery (for the heartbeat), and when it happened. */
  lastProblem: string | null = null;
  lastErrorAt: number | null = null;
  /** The server certificate refused on the latest attempt, for the operator to review. */
  untrustedCertificate: ServerCertificateInfo | undefined;
  connectAttempts = 0;
  sessionsCreated = 0;
  /** Connections lost after having been up. */
  reconnects = 0;
  connectedSince: number | null = null;
  current: OpcUaConnection | undefined;
  private definitiveError: AgentError | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly backoff: ReconnectBackoff;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private generation = 0;

  constructor(private readonly opts: SupervisorOptions) {
    this.backoff = new ReconnectBackoff(opts.settings.reconnectMinMs, opts.settings.reconnectMaxMs);
  }

  start(): void {
    if (this.loop) return;
    this.setState('connecting');
    this.loop = this.run().catch((err: unknown) => {
      // The loop handles its own failures; reaching here is a defect, reported rather than thrown.
      this.fail(`the OPC UA connection loop stopped: ${err instanceof Error ? err.message : String(err)}`);
      this.opts.log.error({ err: this.lastError }, 'OPC UA connection loop stopped');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.fail('the driver stopped');
    await this.loop;
    this.setState('disconnected');
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.opts.name}' was stopped before it connected`));
    }
    this.waiters.clear();
  }

  /** Resolves once a session is up; rejects at once on a failure that retrying cannot fix. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.definitiveError) return Promise.reject(this.definitiveError);
    if (this.stopped || !this.loop) return Promise.reject(new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.opts.name}' is not started`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          const why = this.lastError ?? 'still connecting';
          reject(new AgentError(ErrorCode.DEVICE_ERROR, `not connected to ${this.opts.settings.endpointUrl} after ${timeoutMs} ms: ${why}`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** The live connection, or an error saying why there is none. */
  connection(): OpcUaConnection {
    const conn = this.current;
    if (this.state === 'connected' && conn && !conn.isLost) return conn;
    throw new AgentError(ErrorCode.DEVICE_ERROR, `not connected to ${this.opts.settings.endpointUrl}: ${this.lastError ?? this.state}`);
  }

  private setState(state: LinkState): void {
    this.state = state;
  }

  private fail(message: string): void {
    this.lastError = message;
    this.lastProblem = message;
    this.lastErrorAt = Date.now();
  }

  private settleWaiters(err?: AgentError): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters.clear();
  }

  private async pause(ms: number): Promise<void> {
    if (this.stopped) return;
    const signal = this.abort.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async run(): Promise<void> {
    const { ua, app, settings, name, log, subscriptions } = this.opts;
    while (!this.stopped) {
      this.connectAttempts++;
      let conn: OpcUaConnection;
      try {
        conn = await OpcUaConnection.open({ ua, app, settings, name, log, generation: ++this.generation, signal: this.abort.signal });
      } catch (err) {
        if (this.stopped) break;
        this.onAttemptFailed(err);
        await this.pause(this.backoff.next());
        continue;
      }
      if (this.stopped) {
        await conn.close(true);
        break;
      }
      this.sessionsCreated++;
      this.current = conn;
      this.untrustedCertificate = undefined;
      this.definitiveError = undefined;
      this.lastError = null;
      this.connectedSince = Date.now();
      this.setState('connected');
      log.info({ endpoint: settings.endpointUrl, security: `${settings.securityMode}/${settings.securityPolicy}`, reconnects: this.reconnects }, 'OPC UA session up');
      this.settleWaiters();

      try {
        await subscriptions.attach(conn, conn.serverStartTime);
      } catch (err) {
        // Subscriptions retry on their own; the session stays up for reads and writes.
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'restoring OPC UA subscriptions failed');
      }
      const reason = await conn.lost;
      subscriptions.detach(conn);
      this.current = undefined;
      const upFor = Date.now() - (this.connectedSince ?? Date.now());
      this.connectedSince = null;
      if (this.stopped) {
        await conn.close(true);
        break;
      }
      await conn.close(false);
      this.reconnects++;
      this.fail(`connection lost: ${reason}; reconnecting`);
      this.setState('connecting');
      log.warn({ endpoint: settings.endpointUrl, reason }, 'OPC UA connection lost; reconnecting');
      if (upFor >= HEALTHY_AFTER_MS) this.backoff.reset();
      await this.pause(this.backoff.next());
    }
  }

  private onAttemptFailed(err: unknown): void {
    const { settings, log } = this.opts;
    const previous = this.lastError;
    if (err instanceof UntrustedServerCertificateError) {
      this.untrustedCertificate = err.certificate;
      this.definitiveError = new AgentError(ErrorCode.CERTIFICATE_UNTRUSTED, err.message, { serverCertificate: err.certificate });
      this.fail(err.message);
    } else {
      this.untrustedCertificate = undefined;
      const setup = err instanceof ConnectionSetupError ? err : new ConnectionSetupError(err instanceof Error ? err.message : String(err), false);
      const message = `cannot connect to ${settings.endpointUrl}: ${setup.message}`;
      this.definitiveError = setup.definitive ? new AgentError(ErrorCode.DEVICE_ERROR, message) : undefined;
      this.fail(message);
    }
    this.setState('error');
    if (this.definitiveError) this.settleWaiters(this.definitiveError);
    if (this.lastError !== previous) log.warn({ endpoint: settings.endpointUrl, err: this.lastError }, 'OPC UA connection attempt failed');
  }
}
