import type { Device, Group, LinkState, Tag, TagValue } from '@edgefleet/protocol';
import type { Logger } from '../log.js';

/**
 * One read of a group, or one delivery of changes, raw (before the tag's scale, offset and
 * precision). Tags are addressed by their position in `group.tags`: `values[i]` belongs to
 * `group.tags[i]`. Arrays rather than records keyed by tag name: a record of 1,000 keys is a
 * hash table, and writing every key of it each cycle cost more than decoding the values.
 *
 * A driver may reuse a read's `values` and `errors` for its next read of the same group (the
 * Modbus driver does): a caller copies what it keeps before the driver reads again. The
 * DeviceRunner hands every read on synchronously, so nothing downstream sees it change.
 */
export interface GroupRead {
  /** The raw value per tag position; undefined where the tag has none in this read (it failed, or a delivery does not carry it). */
  values: Array<TagValue | undefined>;
  /** Tag position → error number (Neuron-compatible, see `TagErrorNumber`) of each tag that failed. */
  errors: Map<number, number>;
  /**
   * Set on a delivery of changes (a subscription): the positions it carries, values and errors
   * alike, each once. Absent on a read of the whole group, which carries every position.
   */
  changed?: number[];
}

/** What a driver may use from the agent. */
export interface DriverContext {
  /** The agent's state dir: a driver keeps its own files (e.g. the OPC UA PKI) under it. */
  stateDir: string;
  log: Logger;
}

/**
 * What every southbound driver does. Kept small on purpose: optional abilities (writing,
 * subscribing, browsing) are separate interfaces checked with type guards.
 *
 * `start()` sets the driver up and begins connecting in the background; it must not wait for
 * the machine to answer (a machine that is off must not fail a config apply). Connection
 * problems show in `link()` and `lastError()`, and the driver reconnects by itself.
 */
export interface Driver {
  readonly kind: Device['driver'];
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Resolves once connected; rejects with an `AgentError` saying why not (DEVICE_ERROR, or
   * CERTIFICATE_UNTRUSTED with the certificate in its details) when `timeoutMs` passes first.
   */
  waitConnected(timeoutMs: number): Promise<void>;
  /** Reads every tag of the group; a failure of the whole device rejects, a failing tag goes in `errors`. */
  readGroup(group: Group): Promise<GroupRead>;
  link(): LinkState;
  lastError(): string | null;
  /** Driver-specific figures for the heartbeat (requests/s, round-trip time, request plan…). */
  details?(): Record<string, unknown>;
}

export interface WritableDriver extends Driver {
  /** Writes a raw (already unscaled) value; rejects with an `AgentError` on a refused write. */
  writeTag(group: Group, tag: Tag, raw: TagValue): Promise<void>;
}

export function isWritableDriver(driver: Driver): driver is WritableDriver {
  return typeof (driver as Partial<WritableDriver>).writeTag === 'function';
}

/**
 * A driver whose source can push changes (OPC UA monitored items). The runner subscribes the
 * groups whose acquisition is `subscribe` instead of polling them; each delivery holds the tags
 * that changed (raw values, or errors).
 */
export interface SubscribingDriver extends Driver {
  subscribe(group: Group, deliver: (read: GroupRead, timestamp: number) => void): Promise<void>;
}

export function isSubscribingDriver(driver: Driver): driver is SubscribingDriver {
  return typeof (driver as Partial<SubscribingDriver>).subscribe === 'function';
}

export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: 'Object' | 'Variable' | 'Method' | 'ObjectType' | 'VariableType' | 'ReferenceType' | 'DataType' | 'View' | 'Unspecified';
  dataType?: string;
  tagType?: string;
  readable?: boolean;
  writable?: boolean;
  hasChildren: boolean;
}

/** A driver whose device has an address space to browse (OPC UA). */
export interface BrowsableDriver extends Driver {
  browse(nodeId: string): Promise<BrowsedNode[]>;
}

export function isBrowsableDriver(driver: Driver): driver is BrowsableDriver {
  return typeof (driver as Partial<BrowsableDriver>).browse === 'function';
}

export type DriverFactory = (device: Device, context: DriverContext) => Driver;
