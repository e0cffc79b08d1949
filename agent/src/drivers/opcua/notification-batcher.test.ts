import { describe, expect, it } from 'vitest';
import { TagErrorNumber } from '@edgefleet/protocol';
import type { GroupRead } from '../driver.js';
import { toRecords } from '../../runtime/group-sample.js';
import { positional } from '../../test-support/fixtures.js';
import { BuiltinType as B } from './builtin-types.js';
import { NotificationBatcher, type DataValueLike, type MonitoredItemNotificationLike } from './notification-batcher.js';
import { Status } from './status-codes.js';

const tags = [
  { name: 'speed', type: 'float64' as const },
  { name: 'count', type: 'uint64' as const },
  { name: 'running', type: 'bool' as const },
];

function dv(dataType: number, value: unknown, at?: number, status = 0): DataValueLike {
  return { value: { dataType, arrayType: 0, value }, statusCode: { value: status }, sourceTimestamp: at === undefined ? null : new Date(at), serverTimestamp: null };
}

function item(clientHandle: number, value: DataValueLike): MonitoredItemNotificationLike {
  return { clientHandle, value };
}

/** Keeps each delivery as records by tag name: the batcher reuses its arrays for the next publish. */
function collect() {
  const out: { read: ReturnType<typeof toRecords>; timestamp: number; changed: number[] | undefined }[] = [];
  return { out, deliver: (read: GroupRead, timestamp: number) => out.push({ read: toRecords(tags.map((t) => ({ ...t, address: '', access: 'r' as const })), read), timestamp, changed: read.changed && [...read.changed] }) };
}

describe('notification batching', () => {
  it('delivers one batch per publish with only the changed tags, stamped with the newest source time', () => {
    const { out, deliver } = collect();
    const b = new NotificationBatcher(tags, deliver);
    b.onDataChange([item(0, dv(B.Double, 1.5, 1000)), item(2, dv(B.Boolean, true, 3000))], new Date(5000));
    expect(out).toEqual([{ read: { values: { speed: 1.5, running: true }, errors: {} }, timestamp: 3000, changed: [0, 2] }]);
    expect(b.notifications).toBe(2);
    expect(b.deliveries).toBe(1);
  });

  it('falls back to the publish time when values carry no timestamps', () => {
    const { out, deliver } = collect();
    new NotificationBatcher(tags, deliver).onDataChange([item(1, dv(B.UInt64, [0, 7]))], new Date(4000));
    expect(out[0]).toEqual({ read: { values: { count: 7 }, errors: {} }, timestamp: 4000, changed: [1] });
  });

  it('puts the k-th change of each tag in the k-th delivery, keeping every change and its order', () => {
    const { out, deliver } = collect();
    const b = new NotificationBatcher(tags, deliver);
    // As servers order a publish: each item's queued values together.
    b.onDataChange([
      item(0, dv(B.Double, 1, 100)),
      item(0, dv(B.Double, 2, 200)),
      item(0, dv(B.Double, 3, 300)),
      item(1, dv(B.UInt64, [0, 10], 150)),
      item(1, dv(B.UInt64, [0, 11], 250)),
      item(2, dv(B.Boolean, false, 100)),
    ]);
    expect(out.map((o) => [o.read.values, o.timestamp])).toEqual([
      [{ speed: 1, count: 10, running: false }, 150],
      [{ speed: 2, count: 11 }, 250],
      [{ speed: 3 }, 300],
    ]);
    expect(b.deliveries).toBe(3);
    // The next publish starts clean.
    b.onDataChange([item(0, dv(B.Double, 4, 400)), item(2, dv(B.Boolean, true, 400))]);
    expect(out[3]!.read.values).toEqual({ speed: 4, running: true });
  });

  it('turns Bad statuses and unreadable values into per-tag errors', () => {
    const { out, deliver } = collect();
    const b = new NotificationBatcher(tags, deliver);
    b.onDataChange([
      item(0, dv(B.Double, 0, 10, Status.BadNoCommunication)),
      item(1, dv(B.String, 'not a number', 10)),
      item(2, dv(B.Boolean, true, 10, 0x4000_0000)),
      item(9, dv(B.Double, 1, 10)),
    ]);
    expect(out[0]!.read).toEqual({ values: { running: true }, errors: { speed: TagErrorNumber.DEVICE_NO_RESPONSE, count: TagErrorNumber.READ_FAILURE } });
    expect(b.conversionFailures).toBe(1);
  });

  it('reports tags that cannot be monitored, and whole reads, with the current time', () => {
    const { out, deliver } = collect();
    const b = new NotificationBatcher(tags, deliver, () => 42);
    b.deliverErrors(new Map());
    b.deliverErrors(new Map([[1, TagErrorNumber.READ_FAILURE]]));
    b.deliverRead(positional(tags, { speed: 1 }));
    expect(out).toEqual([
      { read: { values: {}, errors: { count: TagErrorNumber.READ_FAILURE } }, timestamp: 42, changed: [1] },
      { read: { values: { speed: 1 }, errors: {} }, timestamp: 42, changed: undefined },
    ]);
  });
});
