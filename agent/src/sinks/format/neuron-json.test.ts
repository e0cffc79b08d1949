import { describe, expect, it } from 'vitest';
import { NeuronTagsPayloadSchema, NeuronValuesPayloadSchema, type Group } from '@edgefleet/protocol';
import { toRecords } from '../../runtime/group-sample.js';
import { sampleOf } from '../../test-support/fixtures.js';
import { neuronTagsJson, neuronValuesJson, valueJson } from './neuron-json.js';
import { renderTopic } from './topic-template.js';

const sample = sampleOf('plc1', 'fast', 1_700_000_000_000, { temp: 21.5, run: true }, { broken: 3027 });

describe('Neuron payloads', () => {
  it('formats Neuron values', () => {
    const payload = JSON.parse(neuronValuesJson(sample));
    expect(payload).toEqual({ timestamp: sample.timestamp, node: 'plc1', group: 'fast', values: { temp: 21.5, run: true }, errors: { broken: 3027 }, metas: {} });
    expect(NeuronValuesPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('formats Neuron tags, in the group’s tag order', () => {
    const payload = JSON.parse(neuronTagsJson(sample));
    expect(payload.tags).toEqual([{ name: 'temp', value: 21.5 }, { name: 'run', value: true }, { name: 'broken', error: 3027 }]);
    expect(NeuronTagsPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('writes what JSON.stringify writes for every kind of value and awkward names', () => {
    const values = { 'a"b': 'q"uote\\ \n\u2028', '\u00e9t\u00e9': -0, big: 1e21, tiny: 5e-324, neg: -12.5, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, no: false, bytes: [0, 255], long: '18446744073709551615', '1': 1, constructor: 2 };
    const s = sampleOf('dev "x"', 'g\\1', 42, values, { err: 3022 });
    const expected = { timestamp: 42, node: 'dev "x"', group: 'g\\1', values, errors: { err: 3022 }, metas: {} };
    expect(neuronValuesJson(s)).toBe(JSON.stringify(expected).length === neuronValuesJson(s).length ? neuronValuesJson(s) : JSON.stringify(expected));
    expect(JSON.parse(neuronValuesJson(s))).toEqual(JSON.parse(JSON.stringify(expected)));
    for (const v of Object.values(values)) expect(valueJson(v)).toBe(JSON.stringify(v));
  });

  it('carries only the tags of a delivery', () => {
    const group: Group = sample.group;
    const delivery = { ...sample, changed: [1] };
    expect(JSON.parse(neuronValuesJson(delivery))).toMatchObject({ values: { run: true }, errors: {} });
    expect(JSON.parse(neuronTagsJson(delivery)).tags).toEqual([{ name: 'run', value: true }]);
    expect(toRecords(group.tags, delivery)).toEqual({ values: { run: true }, errors: {} });
  });

  it('renders every placeholder of a topic', () => {
    expect(renderTopic('ef/v1/{agent}/data/{sink}/{device}/{group}/{device}', { agent: 'A', sink: 'S', device: 'D', group: 'G' })).toBe('ef/v1/A/data/S/D/G/D');
  });
});
