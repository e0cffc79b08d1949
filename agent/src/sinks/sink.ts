import type { LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import type { Logger } from '../log.js';
import type { GroupSample } from '../runtime/group-sample.js';
import type { BufferPool } from './buffer/buffer-pool.js';
import type { WriteHandler } from './transport/transport.js';

/** A northbound sink: receives the groups it subscribes to and sends them on its transport. */
export interface Sink {
  readonly name: string;
  readonly kind: SinkConfig['kind'];
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Never throws and never blocks the poller: failures and drops are counted in `stats()`. The
   * sample is valid only during the call (see `GroupSample`): the sink formats it at once.
   */
  publish(sample: GroupSample): void;
  link(): LinkState;
  stats(): SinkStats;
}

/**
 * The agent's own connection to the fleet broker, lent to sinks with `broker: 'fleet'`.
 * Publishing while disconnected is refused (the sink keeps the message in its buffer).
 */
export interface FleetPublisher {
  isConnected(): boolean;
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
  /** Called on every connect and loss; returns a function that stops the calls. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}

export interface SinkContext {
  agentId: string;
  fleet: FleetPublisher;
  log: Logger;
  /** Sink buffers (under `<state dir>/buffers/`), shared by the sinks of one name across config changes. */
  buffers: BufferPool;
  /** Carries out writes that arrive through a sink; absent, a sink refuses them. */
  writes?: WriteHandler;
}

export type SinkFactory = (config: SinkConfig, context: SinkContext) => Sink;
