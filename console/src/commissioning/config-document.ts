import type { AgentConfig, Device, Group, Tag } from '@edgefleet/protocol/browser';

/**
 * Reading and changing an agent's desired config document as the API returns it: defaults
 * applied, secrets shown as `********` (the API keeps the stored secret for a marker sent back
 * at the same place, so a changed document is sent back with them). Pure functions; the document
 * is never changed in place.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDevice(value: unknown): value is Device {
  return isRecord(value) && typeof value.name === 'string' && typeof value.driver === 'string' && Array.isArray(value.groups);
}

/** The devices of a document (none when there is no document yet). */
export function devicesOf(document: unknown): Device[] {
  if (!isRecord(document) || !Array.isArray(document.devices)) return [];
  return document.devices.filter(isDevice);
}

export type Change = { ok: true; document: AgentConfig } | { ok: false; message: string };

/** Where tags go: an existing group of the device, or a new one polled at `intervalMs`. */
export type GroupTarget = { kind: 'existing'; group: string } | { kind: 'new'; group: string; intervalMs: number };

/** The document with `tags` appended to a group of device `deviceName` (created when new). */
export function withTagsAdded(document: unknown, deviceName: string, target: GroupTarget, tags: readonly Tag[]): Change {
  if (!isRecord(document)) return { ok: false, message: 'The agent has no desired config yet' };
  const config = document as AgentConfig;
  const device = devicesOf(config).find((d) => d.name === deviceName);
  if (!device) return { ok: false, message: `The desired config has no device named '${deviceName}' any more` };
  const exists = device.groups.some((g) => g.name === target.group);
  let groups: Group[];
  if (target.kind === 'existing') {
    if (!exists) return { ok: false, message: `Device '${deviceName}' has no group named '${target.group}' any more` };
    groups = device.groups.map((g) => (g.name === target.group ? { ...g, tags: [...g.tags, ...tags] } : g));
  } else {
    if (exists) return { ok: false, message: `Device '${deviceName}' already has a group named '${target.group}': choose it from the list instead` };
    groups = [...device.groups, { name: target.group, intervalMs: target.intervalMs, tags: [...tags] }];
  }
  const devices = config.devices.map((d) => (d === device ? { ...device, groups } : d));
  return { ok: true, document: { ...config, devices } };
}

/** The document with a new device at the end (an empty config when the agent has none yet). */
export function withDeviceAdded(document: unknown, device: Device): Change {
  const config = (isRecord(document) ? document : {}) as Partial<AgentConfig>;
  const devices = devicesOf(config);
  if (devices.some((d) => d.name === device.name)) {
    return { ok: false, message: `The desired config already has a device named '${device.name}': pick it under "Saved device", or choose another name` };
  }
  return { ok: true, document: { ...config, devices: [...(config.devices ?? []), device] } as AgentConfig };
}

/**
 * A path of the API's notation (`devices[0].groups[1].tags[3].name`) with the names it points
 * at, for people: `device 'press' › group 'fast' › tag 'Speed' › name`.
 */
export function describePath(document: unknown, path: string): string {
  const parts = path.match(/[^.[\]]+|\[\d+\]/g);
  if (!parts) return path;
  const words: string[] = [];
  let node: unknown = document;
  let key: string | undefined;
  for (const part of parts) {
    const index = /^\[(\d+)\]$/.exec(part);
    if (index && Array.isArray(node)) {
      node = node[Number(index[1])];
      const label = key === 'devices' ? 'device' : key === 'groups' ? 'group' : key === 'tags' ? 'tag' : key === 'northbound' ? 'sink' : undefined;
      const name = isRecord(node) && typeof node.name === 'string' ? node.name : undefined;
      if (label && name !== undefined) words.push(`${label} '${name}'`);
      else words.push(`${key ?? ''}${part}`);
      key = undefined;
    } else {
      if (key !== undefined) words.push(key);
      key = part;
      node = isRecord(node) ? node[part] : undefined;
    }
  }
  if (key !== undefined) words.push(key);
  return words.join(' › ');
}
