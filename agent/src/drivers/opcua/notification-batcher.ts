import { TagErrorNumber, type TagType, type TagValue } from '@edgefleet/protocol';
import type { GroupRead } from '../driver.js';
import { tagErrorForStatus } from './status-codes.js';
import { decodeValue } from './value-codec.js';

/** The parts of a node-opcua DataValue this module reads (kept structural so tests need no library). */
export interface DataValueLike {
  value?: { dataType: number; arrayType: number; value: unknown } | null;
  statusCode?: { value: number } | null;
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}

export interface MonitoredItemNotificationLike {
  clientHandle: number;
  value: DataValueLike;
}

export interface BatchTag {
  name: string;
  type: TagType;
}

export type Deliver = (read: GroupRead, timestamp: number) => void;

/** One delivery in the making: the positions it carries, with a value or an error each. */
interface Batch {
  values: Array<TagValue | undefined>;
  errors: Map<number, number>;
  changed: number[];
  newest: number;
}

/**
 * Turns the notifications of one subscription into deliveries for its group: one delivery per
 * publish, holding only the tags that changed, stamped with the server's time of the newest
 * value in it. A publish can hold several changes of one tag (its queue kept the changes made
 * while the publish was delayed): the k-th change of each tag goes in the k-th delivery, so no
 * change is overwritten, each tag's changes arrive in order, and a publish makes as many
 * deliveries as the most-changed tag has changes — not one per repeated tag.
 *
 * Client handles are the tags' indexes in the group. Occurrences are counted in typed arrays
 * stamped per publish: nothing is allocated per notification beyond the value itself.
 */
export class NotificationBatcher {
  notifications = 0;
  deliveries = 0;
  /** Notifications whose value could not be read as the tag's type (reported as READ_FAILURE). */
  conversionFailures = 0;
  /** The publish each tag was last seen in, and how often it was seen in it. */
  private readonly stamps: Uint32Array;
  private readonly seen: Uint32Array;
  private serial = 0;
  private batches: Batch[] = [];

  constructor(
    private readonly tags: readonly BatchTag[],
    private readonly deliver: Deliver,
    private readonly now: () => number = Date.now,
  ) {
    this.stamps = new Uint32Array(tags.length);
    this.seen = new Uint32Array(tags.length);
  }

  private batch(k: number): Batch {
    let b = this.batches[k];
    if (!b) {
      b = { values: new Array<TagValue | undefined>(this.tags.length), errors: new Map(), changed: [], newest: 0 };
      this.batches[k] = b;
    }
    return b;
  }

  /** Handles one DataChangeNotification's items, then delivers what they changed. */
  onDataChange(items: ArrayLike<MonitoredItemNotificationLike>, publishTime?: Date | null): void {
    // 2^32 publishes wrap the serial; 0 is the stamps' initial value, so skip it.
    this.serial = this.serial === 0xffff_ffff ? 1 : this.serial + 1;
    if (this.serial === 1) this.stamps.fill(0);
    const serial = this.serial;
    let used = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const handle = item.clientHandle;
      const tag = this.tags[handle];
      if (tag === undefined) continue;
      let k = 0;
      if (this.stamps[handle] === serial) k = this.seen[handle]!;
      else this.stamps[handle] = serial;
      this.seen[handle] = k + 1;
      const batch = this.batch(k);
      if (k >= used) used = k + 1;
      this.notifications++;
      const dv = item.value;
      const ts = (dv.sourceTimestamp ?? dv.serverTimestamp)?.getTime();
      if (ts !== undefined && ts > batch.newest) batch.newest = ts;
      const status = dv.statusCode ? dv.statusCode.value : 0;
      const err = status === 0 ? undefined : tagErrorForStatus(status);
      batch.changed.push(handle);
      if (err !== undefined) {
        batch.errors.set(handle, err);
        batch.values[handle] = undefined;
        continue;
      }
      const variant = dv.value;
      const value = variant ? decodeValue(tag.type, variant.dataType, variant.arrayType, variant.value) : undefined;
      if (value === undefined) {
        this.conversionFailures++;
        batch.errors.set(handle, TagErrorNumber.READ_FAILURE);
      } else {
        batch.errors.delete(handle);
      }
      batch.values[handle] = value;
    }
    // Delivered synchronously (see GroupRead), so each batch's arrays are reused by the next
    // publish once emptied: a 10,000-tag group allocates its batches once, not per publish.
    for (let k = 0; k < used; k++) {
      const b = this.batches[k]!;
      const timestamp = b.newest > 0 ? b.newest : (publishTime?.getTime() ?? this.now());
      this.deliveries++;
      try {
        this.deliver({ values: b.values, errors: b.errors, changed: b.changed }, timestamp);
      } finally {
        for (const i of b.changed) b.values[i] = undefined;
        b.errors.clear();
        b.changed.length = 0;
        b.newest = 0;
      }
    }
  }

  /** Reports tags that cannot be monitored at all (unknown node, refused item) as errors, by position. */
  deliverErrors(errors: Map<number, number>): void {
    if (errors.size === 0) return;
    this.deliveries++;
    this.deliver({ values: [], errors, changed: [...errors.keys()] }, this.now());
  }

  /** Delivers a whole read of the group (the current state, after notifications were lost). */
  deliverRead(read: GroupRead): void {
    this.deliveries++;
    this.deliver(read, this.now());
  }
}
