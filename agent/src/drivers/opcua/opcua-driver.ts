import { ErrorCode, type Group, type LinkState, type Tag, type TagValue } from '@edgefleet/protocol';
import { AgentError } from '../../util/errors.js';
import type { BrowsableDriver, BrowsedNode, DriverContext, GroupRead, SubscribingDriver, WritableDriver } from '../driver.js';
import type { OpcUaDevice, OpcUaRuntime } from './runtime.js';

/**
 * The OPC UA driver. This module stays light on purpose: the registry imports it in every
 * agent, and node-opcua (≈ 70 MB) is loaded by `start()` only, through `./runtime.js`.
 *
 * `start()` loads the library and the application certificate, then connects in the background:
 * an unreachable server never fails a config apply. Groups are subscribed (monitored items,
 * changes pushed by the server) or polled (one batched Read per cycle).
 */
export class OpcUaDriver implements WritableDriver, SubscribingDriver, BrowsableDriver {
  readonly kind = 'opcua' as const;
  private runtime: OpcUaRuntime | undefined;
  private starting: Promise<OpcUaRuntime> | undefined;

  constructor(
    private readonly device: OpcUaDevice,
    private readonly context: DriverContext,
  ) {}

  async start(): Promise<void> {
    this.starting ??= (async () => {
      const { OpcUaRuntime } = await import('./runtime.js');
      const runtime = await OpcUaRuntime.create(this.device, this.context);
      runtime.start();
      this.runtime = runtime;
      return runtime;
    })();
    try {
      await this.starting;
    } catch (err) {
      this.starting = undefined;
      throw err;
    }
  }

  async stop(): Promise<void> {
    const runtime = this.runtime ?? (await this.starting?.catch(() => undefined));
    this.runtime = undefined;
    this.starting = undefined;
    await runtime?.stop();
  }

  private started(): OpcUaRuntime {
    if (!this.runtime) throw new AgentError(ErrorCode.DEVICE_ERROR, `device '${this.device.name}' is not started`);
    return this.runtime;
  }

  waitConnected(timeoutMs: number): Promise<void> {
    try {
      return this.started().waitConnected(timeoutMs);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  link(): LinkState {
    return this.runtime?.link() ?? 'disconnected';
  }

  lastError(): string | null {
    return this.runtime?.lastError() ?? null;
  }

  async readGroup(group: Group): Promise<GroupRead> {
    return this.started().readGroup(group);
  }

  async writeTag(_group: Group, tag: Tag, raw: TagValue): Promise<void> {
    return this.started().writeTag(tag, raw);
  }

  async subscribe(group: Group, deliver: (read: GroupRead, timestamp: number) => void): Promise<void> {
    return this.started().subscribe(group, deliver);
  }

  async browse(nodeId: string): Promise<BrowsedNode[]> {
    return this.started().browse(nodeId);
  }

  details(): Record<string, unknown> {
    return this.runtime?.details() ?? { session: 'none' };
  }
}
