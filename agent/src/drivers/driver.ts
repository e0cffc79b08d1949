import type { Device, Group, LinkState, Tag, TagValue } from '@edgefleet/protocol';

/** Raw values of one group read, before the tag's scale/offset/precision are applied. */
export interface GroupRead {
  values: Record<string, TagValue>;
  /** Per-tag error numbers (Neuron-compatible, see `TagErrorNumber`). */
  errors: Record<string, number>;
}

/**
 * What every southbound driver does. Kept small on purpose: optional abilities (writing,
 * browsing) are separate interfaces checked with type guards.
 */
export interface Driver {
  readonly kind: Device['driver'];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Reads every tag of the group; a failure of the whole device rejects, a failing tag goes in `errors`. */
  readGroup(group: Group): Promise<GroupRead>;
  link(): LinkState;
  lastError(): string | null;
}

export interface WritableDriver extends Driver {
  /** Writes a raw (already unscaled) value; rejects with an `AgentError` on a refused write. */
  writeTag(group: Group, tag: Tag, raw: TagValue): Promise<void>;
}

export function isWritableDriver(driver: Driver): driver is WritableDriver {
  return typeof (driver as Partial<WritableDriver>).writeTag === 'function';
}

export type DriverFactory = (device: Device) => Driver;
