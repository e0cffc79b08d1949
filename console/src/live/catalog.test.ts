import { describe, expect, it } from 'vitest';
import { buildSections, catalogOf, countTags, filterSections } from './catalog';

const document = {
  schemaVersion: 1,
  devices: [
    {
      name: 'plc',
      driver: 'modbus-tcp',
      settings: { host: 'plc.local', password: '********' },
      groups: [
        {
          name: 'fast',
          intervalMs: 1000,
          tags: [
            { name: 'temp', address: '1!40001', type: 'float32', unit: '°C', precision: 1 },
            { name: 'setpoint', address: '1!40003', type: 'int16', access: 'rw', scale: 0.1 },
            { name: 'broken', address: '1!40005', type: 'no-such-type' },
          ],
        },
      ],
    },
    { name: 'spare', driver: 'simulator', enabled: false, settings: {}, groups: [{ name: 'g', intervalMs: 5000, tags: [{ name: 'x', address: 'sine', type: 'float64' }] }] },
    { driver: 'opcua' },
  ],
};

describe('catalogOf', () => {
  it('reads devices, groups and tags with type, unit and access, skipping what it cannot read', () => {
    const catalog = catalogOf(document);
    expect(catalog.map((d) => [d.name, d.enabled])).toEqual([
      ['plc', true],
      ['spare', false],
    ]);
    expect(catalog[0]?.groups[0]?.tags).toEqual([
      { name: 'temp', type: 'float32', access: 'r', unit: '°C', precision: 1 },
      { name: 'setpoint', type: 'int16', access: 'rw', scale: 0.1 },
    ]);
    expect(countTags(catalog)).toBe(3);
  });

  it('reads nothing from a document that is not a config', () => {
    expect(catalogOf(null)).toEqual([]);
    expect(catalogOf({ devices: 'x' })).toEqual([]);
    expect(catalogOf({})).toEqual([]);
  });
});

describe('buildSections', () => {
  const catalog = catalogOf(document);

  it('puts each value and error on its configured tag, in config order', () => {
    const sections = buildSections(catalog, [{ device: 'plc', group: 'fast', timestamp: 5000, values: { temp: 21.5 }, errors: { setpoint: 3022 } }]);
    expect(sections.map((s) => [s.key, s.timestamp, s.intervalMs, s.enabled])).toEqual([
      ['plc/fast', 5000, 1000, true],
      ['spare/g', undefined, 5000, false],
    ]);
    expect(sections[0]?.rows.map((r) => [r.tag, r.value, r.error, r.info?.type])).toEqual([
      ['temp', 21.5, undefined, 'float32'],
      ['setpoint', undefined, 3022, 'int16'],
    ]);
  });

  it('keeps what the agent reports beyond the config (an older revision still running)', () => {
    const sections = buildSections(catalog, [
      { device: 'plc', group: 'fast', timestamp: 1, values: { temp: 1, legacy: 7 }, errors: {} },
      { device: 'old', group: 'g', timestamp: 2, values: { b: 2, a: 1 }, errors: { c: 3027 } },
    ]);
    expect(sections[0]?.rows.map((r) => [r.tag, r.info === null])).toEqual([
      ['temp', false],
      ['setpoint', false],
      ['legacy', true],
    ]);
    expect(sections[2]).toMatchObject({ key: 'old/g', intervalMs: null, timestamp: 2 });
    expect(sections[2]?.rows.map((r) => r.tag)).toEqual(['a', 'b', 'c']);
  });

  it('filters rows by tag name, any case, dropping groups with no match', () => {
    const sections = buildSections(catalog, undefined);
    expect(filterSections(sections, ' TEMP ').map((s) => s.rows.map((r) => r.tag))).toEqual([['temp']]);
    expect(filterSections(sections, '')).toHaveLength(2);
    expect(filterSections(sections, 'nothing')).toEqual([]);
  });
});
