import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, parseWith } from '@edgefleet/protocol/browser';
import { getAt, parsePathString, pathString, setAt, stableStringify, type Json } from './doc-path';
import { IssueIndex } from './issues';
import { DEVICE_SCHEMA, SINK_SCHEMA, TAG_SCHEMA, fieldKind, helpText, humanize, matchOption, skeleton, switchOption } from './json-schema';
import { issueLines, parseText, toText } from './raw-text';

describe('the form model', () => {
  it('reads unions, secrets and limits from the protocol schema', () => {
    const device = fieldKind(DEVICE_SCHEMA);
    expect(device.kind).toBe('union');
    if (device.kind !== 'union') return;
    expect(device.discriminator).toBe('driver');
    expect(device.options.map((o) => o.value)).toEqual(['simulator', 'modbus-tcp', 'modbus-rtu-over-tcp', 'modbus-rtu', 'opcua']);
    const sink = fieldKind(SINK_SCHEMA);
    expect(sink.kind === 'union' && sink.discriminator).toBe('kind');

    const mqtt = sink.kind === 'union' ? sink.options.find((o) => o.value === 'mqtt') : undefined;
    const broker = mqtt?.schema.properties?.settings?.properties?.broker;
    const brokerKind = broker ? fieldKind(broker) : undefined;
    // `'fleet' | {url, …}`: a union without a discriminator, chosen by the value's shape.
    expect(brokerKind?.kind).toBe('union');
    if (brokerKind?.kind !== 'union') return;
    expect(matchOption(brokerKind, 'fleet')?.label).toBe('fleet');
    expect(matchOption(brokerKind, { url: 'mqtt://h' })?.label).toBe('custom settings');
    const password = brokerKind.options[1]?.schema.properties?.password;
    expect(password && fieldKind(password)).toEqual({ kind: 'string', secret: true, multiline: false });

    const interval = TAG_SCHEMA.properties?.precision;
    expect(interval && helpText(interval)).toBe('0 to 17 · whole number · optional');
    expect(humanize('intervalMs')).toBe('Interval (ms)');
    expect(humanize('endpointUrl')).toBe('Endpoint URL');
    expect(humanize('order16')).toBe('Order 16');
  });

  it('switching a driver keeps what both drivers share', () => {
    const kind = fieldKind(DEVICE_SCHEMA);
    if (kind.kind !== 'union') throw new Error('expected a union');
    const tcp = { name: 'press', driver: 'modbus-tcp', description: 'line 3', settings: { host: 'plc', port: 1502 }, groups: [{ name: 'g', intervalMs: 100 }] } as Json;
    const option = (v: string) => kind.options.find((o) => o.value === v) ?? kind.options[0]!;
    // Same settings schema: the settings stay.
    expect(switchOption(kind, tcp, option('modbus-rtu-over-tcp'))).toEqual({ ...(tcp as object), driver: 'modbus-rtu-over-tcp' });
    // Another settings schema: the new driver's minimal settings.
    expect(switchOption(kind, tcp, option('opcua'))).toEqual({ name: 'press', driver: 'opcua', description: 'line 3', settings: { endpointUrl: '' }, groups: [{ name: 'g', intervalMs: 100 }] });
    expect(skeleton(TAG_SCHEMA)).toEqual({ name: '', address: '', type: 'bool' });
  });

  it('edits a document at a path, sharing what did not change', () => {
    const doc = { devices: [{ name: 'a', groups: [{ name: 'g' }] }, { name: 'b' }] } as Json;
    const path = parsePathString('devices[0].groups[0].intervalMs');
    expect(path).toEqual(['devices', 0, 'groups', 0, 'intervalMs']);
    expect(pathString(path)).toBe('devices[0].groups[0].intervalMs');
    const next = setAt(doc, path, 250);
    expect(getAt(next, path)).toBe(250);
    expect(getAt(next, ['devices', 1])).toBe(getAt(doc, ['devices', 1]));
    expect(getAt(setAt(next, ['devices', 0], undefined), ['devices', 0, 'name'])).toBe('b');
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(stableStringify({ a: [1, { c: 3, d: 2 }], b: 1 }));
  });

  it('indexes issues by path, the API\'s `document.` prefix taken off', () => {
    const index = new IssueIndex([
      { path: 'document.devices[0].name', message: 'must not be empty' },
      { path: 'devices[0].name', message: 'must not be empty' },
      { path: 'devices[0].groups[0].intervalMs', message: 'must be at least 10' },
      { path: 'document', message: 'must be an object' },
    ]);
    expect(index.size).toBe(3);
    expect(index.messageAt('devices[0].name')).toBe('must not be empty');
    expect(index.countWithin('devices[0]')).toBe(2);
    expect(index.countWithin('devices[1]')).toBe(0);
    expect(index.messageAt('(root)')).toBe('must be an object');
  });

  it('parses YAML and JSON, reporting syntax errors at their line, and finds the line of an issue', () => {
    const bad = parseText('devices:\n  - name: a\n    driver: [simulator\n', 'yaml');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problem.line).toBeGreaterThanOrEqual(3);
    const badJson = parseText('{\n  "devices": [\n    {"name": "a",}\n  ]\n}', 'json');
    expect(badJson.ok || badJson.problem.line).toBe(3);

    const doc = { devices: [{ name: 'sim', driver: 'simulator', groups: [{ name: 'g', intervalMs: 5 }] }] };
    const result = parseWith(AgentConfigSchema, doc);
    if (result.ok) throw new Error('expected an issue');
    for (const format of ['yaml', 'json'] as const) {
      const text = toText(doc as Json, format);
      const back = parseText(text, format);
      expect(back.ok && back.value).toEqual(doc);
      const lines = issueLines(text, result.issues);
      const line = lines.get(result.issues[0]!);
      expect(text.split('\n')[(line ?? 0) - 1]).toContain('intervalMs');
    }
  });
});
