import type { Group, ReportSettings, TagValue } from '@edgefleet/protocol';
import type { GroupSample } from '../../runtime/group-sample.js';

const NUMBER = 1;
const OTHER = 2;
const ERROR = 3;

/** What one group's tags last published through this sink: typed arrays by tag position. */
class Published {
  readonly kinds: Uint8Array;
  readonly numbers: Float64Array;
  readonly others: Array<TagValue | undefined>;
  lastFullAt = Number.NEGATIVE_INFINITY;

  constructor(readonly group: Group) {
    this.kinds = new Uint8Array(group.tags.length);
    this.numbers = new Float64Array(group.tags.length);
    this.others = [];
  }

  /** Whether publishing `value` (or `error`) at `i` tells a consumer something new. */
  differs(i: number, value: TagValue | undefined, error: number | undefined): boolean {
    const kind = this.kinds[i];
    if (error !== undefined) return kind !== ERROR || this.numbers[i] !== error;
    if (value === undefined) return false;
    if (typeof value === 'number') {
      if (kind !== NUMBER) return true;
      const last = this.numbers[i]!;
      const deadband = this.group.tags[i]!.deadbandAbs;
      // Without a deadband any change counts; NaN to NaN is no change, 0 to -0 neither.
      if (deadband === undefined || deadband === 0) return !(last === value || (Number.isNaN(last) && Number.isNaN(value)));
      return Math.abs(value - last) > deadband || Number.isNaN(value) !== Number.isNaN(last);
    }
    if (kind !== OTHER) return true;
    const last = this.others[i];
    if (Array.isArray(value) && Array.isArray(last)) return value.length !== last.length || value.some((b, k) => b !== last[k]);
    return last !== value;
  }

  remember(i: number, value: TagValue | undefined, error: number | undefined): void {
    if (error !== undefined) {
      this.kinds[i] = ERROR;
      this.numbers[i] = error;
    } else if (typeof value === 'number') {
      this.kinds[i] = NUMBER;
      this.numbers[i] = value;
    } else if (value !== undefined) {
      this.kinds[i] = OTHER;
      // Bytes arrive in an array the driver may refill: keep a copy.
      this.others[i] = Array.isArray(value) ? [...value] : value;
    }
  }
}

/**
 * Report by exception, per sink. With `every-read` every sample passes as it is. With
 * `on-change` a sample passes with only the tags that tell something new since this sink last
 * published them: a number that moved by more than the tag's `deadbandAbs` (any change without
 * one), another value that differs, an error that appeared or changed, or a value after an
 * error. Compared with the last *published* value, so a slow drift still reports once it adds
 * up to the deadband. `refreshMs` lets a whole read through at least that often.
 */
export class ReportFilter {
  private readonly groups = new Map<string, Published>();

  constructor(
    private readonly settings: ReportSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** The sample to publish, or undefined when nothing in it is new. */
  filter(sample: GroupSample): GroupSample | undefined {
    if (this.settings.mode === 'every-read') return sample;
    const key = `${sample.device}\u0000${sample.group.name}`;
    let published = this.groups.get(key);
    if (!published || published.group !== sample.group) {
      published = new Published(sample.group);
      this.groups.set(key, published);
    }
    const { values, errors, changed } = sample;
    const n = changed ? changed.length : sample.group.tags.length;
    const refreshMs = this.settings.refreshMs;
    const now = this.now();
    const refresh = changed === undefined && refreshMs !== undefined && now - published.lastFullAt >= refreshMs;
    if (refresh) published.lastFullAt = now;
    const out: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = changed ? changed[k]! : k;
      const error = errors.size > 0 ? errors.get(i) : undefined;
      const value = error === undefined ? values[i] : undefined;
      if (value === undefined && error === undefined) continue;
      if (refresh || published.differs(i, value, error)) {
        published.remember(i, value, error);
        out.push(i);
      }
    }
    if (out.length === 0) return undefined;
    return { device: sample.device, group: sample.group, timestamp: sample.timestamp, values, errors, changed: out };
  }
}
