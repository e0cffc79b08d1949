import type { LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
import type { GroupSample } from '../runtime/group-sample.js';

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
 * Publishing while disconnected is the caller's decision (count a drop), not a silent queue.
 */
export interface FleetPublisher {
  isConnected(): boolean;
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

export interface SinkContext {
  agentId: string;
  fleet: FleetPublisher;
}

export type SinkFactory = (config: SinkConfig, context: SinkContext) => Sink;
