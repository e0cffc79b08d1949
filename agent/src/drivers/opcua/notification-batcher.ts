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

/**
 * Turns the notifications of one subscription into deliveries for its group: one delivery per
 * publish, holding only the tags that changed, stamped with the server's time of the newest
 * value. A tag reported twice in one publish (its queue held several changes) closes the current
 * delivery and opens the next, so no change is overwritten and their order is kept.
 *
 * Client handles are the tags' indexes in the group. The duplicate check uses a stamp per tag,
 * not a Set per publish: nothing is allocated per notification beyond the value itself.
 */
export class NotificationBatcher {
  notifications = 0;
  deliveries = 0;
  /** Notifications whose value could not be read as the tag's type (reported as READ_FAILURE). */
  conversionFailures = 0;
  private readonly stamps: Uint32Array;
  private serial = 1;
  private values: Record<string, TagValue> = {};
  private errors: Record<string, number> = {};
  private count = 0;
  private newest = 0;

  constructor(
    private readonly tags: readonly BatchTag[],
    private readonly deliver: Deliver,
    private readonly now: () => number = Date.now,
  ) {
    this.stamps = new Uint32Array(tags.length);
  }

  /** Handles one DataChangeNotification's items, then delivers what they changed. */
  onDataChange(items: ArrayLike<MonitoredItemNotificationLike>, publishTime?: Date | null): void {
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const handle = item.clientHandle;
      const tag = this.tags[handle];
      if (tag === undefined) continue;
      if (this.stamps[handle] === this.serial) this.flush(publishTime);
      this.stamps[handle] = this.serial;
      this.notifications++;
      this.count++;
      const dv = item.value;
      const ts = (dv.sourceTimestamp ?? dv.serverTimestamp)?.getTime();
      if (ts !== undefined && ts > this.newest) this.newest = ts;
      const status = dv.statusCode ? dv.statusCode.value : 0;
      const err = status === 0 ? undefined : tagErrorForStatus(status);
      if (err !== undefined) {
        this.errors[tag.name] = err;
        continue;
      }
      const variant = dv.value;
      const value = variant ? decodeValue(tag.type, variant.dataType, variant.arrayType, variant.value) : undefined;
      if (value === undefined) {
        this.conversionFailures++;
        this.errors[tag.name] = TagErrorNumber.READ_FAILURE;
      } else {
        this.values[tag.name] = value;
      }
    }
    this.flush(publishTime);
  }

  /** Reports tags that cannot be monitored at all (unknown node, refused item) as errors. */
  deliverErrors(errors: Record<string, number>): void {
    if (Object.keys(errors).length === 0) return;
    this.deliveries++;
    this.deliver({ values: {}, errors }, this.now());
  }

  /** Delivers a whole read of the group (the current state, after notifications were lost). */
  deliverRead(read: GroupRead): void {
    this.deliveries++;
    this.deliver(read, this.now());
  }

  private flush(publishTime?: Date | null): void {
    if (this.count === 0) return;
    const timestamp = this.newest > 0 ? this.newest : (publishTime?.getTime() ?? this.now());
    const read: GroupRead = { values: this.values, errors: this.errors };
    this.values = {};
    this.errors = {};
    this.count = 0;
    this.newest = 0;
    // 2^32 publishes wrap the serial; 0 is the stamps' initial value, so skip it.
    this.serial = this.serial === 0xffff_ffff ? 1 : this.serial + 1;
    if (this.serial === 1) this.stamps.fill(0);
    this.deliveries++;
    this.deliver(read, timestamp);
  }
}
