import type { Group, GroupValues, TagValue } from '@edgefleet/protocol';
import { scaleValue } from '../drivers/scaling.js';

/**
 * What the DeviceRunner hands to the sinks and the values cache after each read or delivery:
 * the scaled values of one group by tag position, like the driver's `GroupRead` (see there why
 * positions). Valid only during the call that receives it: the runner and the driver reuse its
 * arrays for the group's next read, so a receiver copies what it keeps (the values cache into
 * its typed arrays, a sink into the payload it formats).
 */
export interface GroupSample {
  readonly device: string;
  readonly group: Group;
  /** When the read started (ms since the epoch), or the newest source time in a delivery. */
  readonly timestamp: number;
  /** Scaled value per tag position; undefined where the tag has none in this sample. */
  readonly values: ReadonlyArray<TagValue | undefined>;
  /** Tag position → error number of each tag that failed. */
  readonly errors: ReadonlyMap<number, number>;
  /** A delivery of changes: the positions it carries. Absent when it carries the whole group. */
  readonly changed?: readonly number[] | undefined;
}

/** The parts of a read or a sample that say which tag has what. */
export interface PositionalValues {
  readonly values: ReadonlyArray<TagValue | undefined>;
  readonly errors: ReadonlyMap<number, number>;
  readonly changed?: readonly number[] | undefined;
}

/**
 * Values and errors as records keyed by tag name: the wire shape (`GroupValues`) of the read
 * command and the values query. A tag with both a value and an error counts as failed.
 */
export function toRecords(tags: Group['tags'], read: PositionalValues): { values: Record<string, TagValue>; errors: Record<string, number> } {
  const values: Record<string, TagValue> = {};
  const errors: Record<string, number> = {};
  const visit = (i: number): void => {
    const tag = tags[i];
    if (!tag) return;
    const error = read.errors.get(i);
    if (error !== undefined) errors[tag.name] = error;
    else {
      const value = read.values[i];
      if (value !== undefined) values[tag.name] = value;
    }
  };
  if (read.changed) for (const i of read.changed) visit(i);
  else for (let i = 0; i < tags.length; i++) visit(i);
  return { values, errors };
}

/** A sample as `GroupValues` (device, group name, timestamp, records). */
export function toGroupValues(sample: GroupSample): GroupValues {
  return { device: sample.device, group: sample.group.name, timestamp: sample.timestamp, ...toRecords(sample.group.tags, sample) };
}

/** A raw read scaled by each tag's scale, offset and precision, as records by tag name (the answers of `read` and `test-connection`). */
export function scaledRecords(tags: Group['tags'], read: PositionalValues): { values: Record<string, TagValue>; errors: Record<string, number> } {
  const values = tags.map((tag, i) => {
    const v = read.values[i];
    return v === undefined ? undefined : scaleValue(tag, v);
  });
  return toRecords(tags, { values, errors: read.errors, changed: read.changed });
}
