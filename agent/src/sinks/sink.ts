import type { Group, LinkState, Sink as SinkConfig, SinkStats } from '@edgefleet/protocol';
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
  /**
   * The devices the sink subscribes to, with their subscribed groups' definitions and each
   * device's link: called before the sink starts and after every config apply that keeps it, so
   * a sink that announces its tags (Sparkplug's births) learns of changed tags without being
   * recreated. Optional: sinks that format each read on its own ignore it.
   */
  define?(devices: readonly SinkDevice[]): void;
  /** A subscribed device's link changed (it stopped answering, or answers again). Optional. */
  deviceLink?(device: string, link: LinkState): void;
}

/** A device as a sink sees it: its groups the sink subscribes to, and its link now. */
export interface SinkDevice {
  name: string;
  groups: readonly Group[];
  link: LinkState;
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
  /** The agent's state dir, where a sink keeps small state across restarts (Sparkplug: its bdSeq). */
  stateDir?: string;
  /** Carries out writes that arrive through a sink; absent, a sink refuses them. */
  writes?: WriteHandler;
  /** The agent's status as a sink reports it to its cloud (Azure IoT Hub: the twin's reported properties). */
  status?: () => AgentStatusReport;
}

/**
 * The agent's status in a form for a cloud's device record: what an operator looking at the
 * device in their IoT Hub wants to see. Small and stable: it is sent again only when it changed.
 */
export interface AgentStatusReport {
  agentId: string;
  agentVersion: string;
  startedAt: string;
  /** The config revision applied, and whether the last one offered was applied or refused. */
  appliedRevision: number | null;
  configStatus: string;
  configError: string | null;
  /** Each device's link, and why it is not up. */
  devices: Record<string, { link: LinkState; error: string | null }>;
  /** Each sink's link and backlog. */
  sinks: Record<string, { link: LinkState; bufferDepth: number; dropped: number }>;
}

export type SinkFactory = (config: SinkConfig, context: SinkContext) => Sink;
