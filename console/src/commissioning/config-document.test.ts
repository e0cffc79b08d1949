import { describe, expect, it } from 'vitest';
import { AgentConfigSchema, SECRET_MARKER, type Device } from '@edgefleet/protocol/browser';
import { describePath, devicesOf, withDeviceAdded, withTagsAdded } from './config-document';

const document = {
  schemaVersion: 1,
  agent: { heartbeatIntervalMs: 10_000, logLevel: 'info' },
  devices: [
    {
      name: 'filler',
      driver: 'opcua',
      enabled: true,
      settings: { endpointUrl: 'opc.tcp://plc:4840', userIdentity: { type: 'username', username: 'edge', password: SECRET_MARKER } },
      groups: [{ name: 'fast', intervalMs: 500, tags: [{ name: 'Speed', address: 'ns=2;s=Speed', type: 'float64', access: 'r' }] }],
    },
  ],
  northbound: [],
};

describe('config document', () => {
  it('lists the devices of a document, none without one', () => {
    expect(devicesOf(document).map((d) => d.name)).toEqual(['filler']);
    expect(devicesOf(null)).toEqual([]);
    expect(devicesOf({ devices: 'nope' })).toEqual([]);
  });

  it('appends tags to an existing group, keeping everything else (secret markers included)', () => {
    const change = withTagsAdded(document, 'filler', { kind: 'existing', group: 'fast' }, [{ name: 'Temp', address: 'ns=2;s=Temp', type: 'float32', access: 'r' }]);
    if (!change.ok) throw new Error(change.message);
    const device = change.document.devices[0];
    expect(device?.groups[0]?.tags.map((t) => t.name)).toEqual(['Speed', 'Temp']);
    expect(device?.settings).toEqual(document.devices[0]?.settings);
    expect(document.devices[0]?.groups[0]?.tags).toHaveLength(1);
  });

  it('creates a new group with its interval, and refuses one whose name exists', () => {
    const tags = [{ name: 'Temp', address: 'ns=2;s=Temp', type: 'float32' as const, access: 'r' as const }];
    const change = withTagsAdded(document, 'filler', { kind: 'new', group: 'slow', intervalMs: 5000 }, tags);
    if (!change.ok) throw new Error(change.message);
    expect(change.document.devices[0]?.groups[1]).toEqual({ name: 'slow', intervalMs: 5000, tags });
    const clash = withTagsAdded(document, 'filler', { kind: 'new', group: 'fast', intervalMs: 5000 }, tags);
    expect(clash).toEqual({ ok: false, message: "Device 'filler' already has a group named 'fast': choose it from the list instead" });
    expect(withTagsAdded(document, 'gone', { kind: 'existing', group: 'fast' }, tags).ok).toBe(false);
  });

  it('adds a device, to an empty config when there is none, and refuses a taken name', () => {
    const device = AgentConfigSchema.parse({ devices: [{ name: 'sim', driver: 'simulator', settings: {} }] }).devices[0] as Device;
    const first = withDeviceAdded(null, device);
    expect(first.ok && first.document.devices.map((d) => d.name)).toEqual(['sim']);
    const second = withDeviceAdded(document, device);
    expect(second.ok && second.document.devices.map((d) => d.name)).toEqual(['filler', 'sim']);
    expect(withDeviceAdded(document, { ...device, name: 'filler' }).ok).toBe(false);
  });

  it('describes an API path with the names it points at', () => {
    expect(describePath(document, 'devices[0].groups[0].tags[0].name')).toBe("device 'filler' › group 'fast' › tag 'Speed' › name");
    expect(describePath(document, 'devices[0].settings.endpointUrl')).toBe("device 'filler' › settings › endpointUrl");
    expect(describePath(document, 'devices[3].name')).toBe('devices[3] › name');
    expect(describePath(document, '(root)')).toBe('(root)');
  });
});
