import { describe, expect, it } from 'vitest';
import type { Group } from '@edgefleet/protocol';
import { sampleOf } from '../../test-support/fixtures.js';
import { decodeSampleRecord, encodeSampleRecord } from './sample-record.js';

describe('Sparkplug sample records', () => {
  it('keeps names, the read time, values of every kind and errors', () => {
    const sample = sampleOf('plc 1', 'fast', 1_700_000_000_123, { temp: 21.5, run: true, label: 'héllo "x"', raw: [0, 255], big: '18446744073709551615' }, { broken: 3027 });
    expect(decodeSampleRecord(Buffer.from(encodeSampleRecord(sample)))).toEqual({
      device: 'plc 1',
      group: 'fast',
      timestamp: 1_700_000_000_123,
      tags: [
        { tag: 'temp', value: 21.5 },
        { tag: 'run', value: true },
        { tag: 'label', value: 'héllo "x"' },
        { tag: 'raw', value: [0, 255] },
        { tag: 'big', value: '18446744073709551615' },
        { tag: 'broken', error: 3027 },
      ],
    });
  });

  it('keeps numbers JSON has no value for', () => {
    const sample = sampleOf('d', 'g', 1, { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY, d: -0 });
    const tags = decodeSampleRecord(encodeSampleRecord(sample))!.tags;
    expect(tags.map((t) => ('value' in t ? t.value : null))).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]);
  });

  it('carries only the tags of a delivery', () => {
    const group: Group = { name: 'g', intervalMs: 1000, tags: ['a', 'b', 'c'].map((name) => ({ name, address: 'counter', type: 'float64', access: 'r' })) };
    const sample = { ...sampleOf('d', group, 5, { a: 1, b: 2, c: 3 }), changed: [2, 0] };
    expect(decodeSampleRecord(encodeSampleRecord(sample))!.tags).toEqual([
      { tag: 'c', value: 3 },
      { tag: 'a', value: 1 },
    ]);
  });

  it('reads anything else as null: another sink kind’s message, other versions, malformed entries', () => {
    const neuron = '{"timestamp":1,"node":"d","group":"g","values":{"a":1},"errors":{},"metas":{}}';
    for (const payload of [neuron, 'not json', '[]', 'null', '{"v":2,"d":"d","g":"g","t":1,"m":[]}', '{"v":1,"d":"d","g":"g","t":"1","m":[]}', '{"v":1,"d":"d","g":"g","t":1,"m":[["a"]]}', '{"v":1,"d":"d","g":"g","t":1,"m":[["a",{"x":1}]]}', '{"v":1,"d":"d","g":"g","t":1,"m":[["a",[1,256]]]}', '{"v":1,"d":"d","g":"g","t":1,"m":[["a",{"n":"1e400"}]]}']) {
      expect(decodeSampleRecord(Buffer.from(payload)), payload).toBeNull();
    }
  });
});
